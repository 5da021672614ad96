package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"pixcdn/bench"
	"pixcdn/internal/config"
)

// benchSettings configure `pixcdn bench`: one load run and its workload.
type benchSettings struct {
	Targets     []string      `flag:"target" help:"edge base URL to load, http://HOST:PORT; repeat (or comma-separate) to spread load over several edges"`
	AllowRemote bool          `flag:"allow-remote" help:"allow targets and metrics URLs outside loopback and private addresses (load only machines you own)"`
	Connections int           `flag:"connections" help:"concurrent connections: closed-loop concurrency, or the most requests in flight in an open loop"`
	Rate        float64       `flag:"rate" help:"open loop: fixed arrival rate in requests/s, latency measured from each request's scheduled time; 0 runs a closed loop"`
	Duration    time.Duration `flag:"duration" help:"length of the measured phase; 0 for no time bound (then --requests is required)"`
	Requests    int64         `flag:"requests" help:"requests in the measured phase; 0 for no count bound"`
	Warmup      time.Duration `flag:"warmup" help:"unmeasured phase first, on the same connections (fills caches and ETags)"`
	Timeout     time.Duration `flag:"timeout" help:"timeout of one request"`
	Method      string        `flag:"method" enum:"GET,HEAD" help:"HTTP method"`
	Client      string        `flag:"client" enum:"fasthttp,nethttp" help:"HTTP client stack (fasthttp drives more load per core)"`
	MaxBody     config.Bytes  `flag:"max-body" help:"largest response body accepted; larger ones count as errors"`
	Insecure    bool          `flag:"insecure" help:"skip TLS certificate checks for https targets"`
	Metrics     []string      `flag:"metrics" help:"edge internal /metrics URLs scraped before and after, for origin fetches and transforms per request"`
	JSON        bool          `flag:"json" help:"print the report as JSON instead of a table"`

	benchWorkloadSettings
}

// benchWorkloadSettings choose the requests: a trace file or the synthetic
// Zipf workload over images written by `pixcdn bench seed`.
type benchWorkloadSettings struct {
	Trace       string   `flag:"trace" help:"replay this file (one URL per line, tab-separated 'Name: value' headers) instead of the synthetic workload"`
	Seed        int64    `flag:"seed" help:"random seed of the synthetic workload"`
	Tenant      string   `flag:"tenant" help:"tenant (first path segment) of the synthetic images"`
	Images      int      `flag:"images" help:"number of synthetic images N, img-000000.EXT..; as written by pixcdn bench seed"`
	Ext         string   `flag:"ext" help:"synthetic image file extension"`
	ImageSkew   float64  `flag:"image-skew" help:"Zipf exponent of image popularity (0 = uniform)"`
	Variants    string   `flag:"variants" help:"variant query strings separated by ';', most popular first; 'original' is the image without options"`
	VariantSkew float64  `flag:"variant-skew" help:"Zipf exponent over --variants"`
	Browsers    []string `flag:"browsers" help:"browser mix NAME=WEIGHT (chrome, safari, firefox, old): sets the Accept header sent"`
	Revisit     float64  `flag:"revisit" help:"share 0..1 of requests that revalidate with If-None-Match once an ETag was seen"`
}

func defaultBenchSettings() *benchSettings {
	d, w := bench.DefaultConfig(), bench.DefaultSyntheticConfig()
	return &benchSettings{
		Connections: d.Connections, Duration: d.Duration, Timeout: d.Timeout, Method: d.Method,
		Client: d.Client, MaxBody: config.Bytes(d.MaxBodyBytes),
		benchWorkloadSettings: benchWorkloadSettings{
			Seed: int64(w.Seed), Tenant: w.Tenant, Images: w.Images, Ext: w.Ext, ImageSkew: w.ImageSkew,
			Variants: joinVariants(w.Variants), VariantSkew: w.VariantSkew,
			Browsers: browserFlags(w.Browsers), Revisit: w.RevisitShare,
		},
	}
}

func benchCommand() command {
	return command{
		name:    "bench",
		summary: "load-test a pixcdn deployment through its public endpoints",
		usage:   "[flags] | seed [flags] | sink [flags]",
		description: `Drives edges over their public port and reports requests/s, latency percentiles
(p50..p99.9, max), status codes, X-Cache breakdown and hit ratio, bytes/s and errors;
with --metrics also origin fetches and transforms per request. Closed loop by default,
open loop with --rate. Targets must be loopback or private addresses unless --allow-remote.

  pixcdn bench seed --dir PATH --images N   write synthetic images for an edge's --origin dir:PATH
  pixcdn bench sink --listen ADDR           serve fixed bytes from memory: the tool's own ceiling

Example: pixcdn bench seed --dir /tmp/origin --images 1000
         pixcdn edge --origin dir:/tmp/origin --public 127.0.0.1:8080 …
         pixcdn bench --target http://127.0.0.1:8080 --images 1000 --duration 30s --warmup 5s`,
		newSettings: func() any { return defaultBenchSettings() },
		run: func(ctx context.Context, s any, args []string) error {
			if len(args) > 0 {
				return runBenchSubcommand(ctx, args)
			}
			return runBench(ctx, s.(*benchSettings), os.Stdout, os.Stderr)
		},
	}
}

func runBenchSubcommand(ctx context.Context, args []string) error {
	var sub command
	switch args[0] {
	case "seed":
		sub = benchSeedCommand()
	case "sink":
		sub = benchSinkCommand()
	default:
		return badUsage(fmt.Errorf("unexpected argument %q: subcommands are seed and sink", args[0]))
	}
	settings := sub.newSettings()
	_, err := config.Load(config.Spec{
		Command: "pixcdn bench " + sub.name, Usage: sub.usage, Summary: sub.description,
		Settings: settings, Output: os.Stdout,
	}, args[1:])
	if errors.Is(err, config.ErrHelp) {
		return nil
	}
	if err != nil {
		return badUsage(err)
	}
	return sub.run(ctx, settings, nil)
}

func runBench(ctx context.Context, s *benchSettings, stdout, stderr io.Writer) error {
	wl, err := s.workload()
	if err != nil {
		return badUsage(err)
	}
	cfg := s.config()
	if err := cfg.Validate(); err != nil {
		return badUsage(err)
	}
	fmt.Fprintf(stderr, "pixcdn bench: %s against %d target(s)…\n", wl.Name(), len(cfg.Targets))
	rep, err := bench.Run(ctx, cfg, wl)
	if rep == nil {
		if errors.Is(err, bench.ErrRemoteTarget) || errors.Is(err, bench.ErrBadConfig) || errors.Is(err, bench.ErrBadTarget) {
			return badUsage(err)
		}
		return err
	}
	if s.JSON {
		err = errors.Join(rep.WriteJSON(stdout), err)
	} else {
		err = errors.Join(rep.WriteText(stdout), err)
	}
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted: the report above is partial")
	}
	return err
}

func (s *benchSettings) config() bench.Config {
	cfg := bench.DefaultConfig()
	cfg.Targets, cfg.AllowRemote, cfg.Connections, cfg.Rate = s.Targets, s.AllowRemote, s.Connections, s.Rate
	cfg.Duration, cfg.Requests, cfg.Warmup, cfg.Timeout = s.Duration, s.Requests, s.Warmup, s.Timeout
	cfg.Method, cfg.Client, cfg.MaxBodyBytes = s.Method, s.Client, int64(s.MaxBody)
	cfg.Insecure, cfg.MetricsURLs = s.Insecure, s.Metrics
	return cfg
}
