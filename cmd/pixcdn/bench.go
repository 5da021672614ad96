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
	Compare     []string      `flag:"compare" help:"also run the same workload against another image server, NAME=URL; repeat for several. URL is a base URL in the dialect NAME names (imgproxy, thumbor; pixcdn otherwise), DIALECT+URL, or a template with {id} {tenant} {public_id} {w} {h} {fm} {q} {fit} {query}"`
	Report      string        `flag:"report" help:"write the JSON report to this file and charts of throughput and latency over time beside it (FILE-throughput.png, FILE-latency.png)"`
	ChartFormat string        `flag:"chart-format" enum:"png,svg" help:"format of the --report charts"`
	Sample      time.Duration `flag:"sample-interval" help:"width of one point of the timeline and charts (widened to keep a run within 600 points)"`

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
		Client: d.Client, MaxBody: config.Bytes(d.MaxBodyBytes), ChartFormat: bench.ChartPNG, Sample: d.SampleInterval,
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

With --compare NAME=URL the same requests are also sent, one server after the other,
to other image servers in their URL dialect (imgproxy: /unsafe/rs:fit:W:H/plain/
local:///TENANT/ID@FMT; thumbor: /unsafe/fit-in/WxH/filters:format(FMT)/TENANT/ID;
or a template), and the report has one section per server. --report FILE.json writes
the JSON and charts of requests/s and p50/p99 latency over time, one line per server.
On a terminal a progress line shows the run so far.

  pixcdn bench seed --dir PATH --images N   write synthetic images for an edge's --origin dir:PATH
  pixcdn bench sink --listen ADDR           serve fixed bytes from memory: the tool's own ceiling

Example: pixcdn bench seed --dir /tmp/origin --images 1000
         pixcdn edge --origin dir:/tmp/origin --public 127.0.0.1:8080 …
         pixcdn bench --target http://127.0.0.1:8080 --images 1000 --duration 30s --warmup 5s
         pixcdn bench --target http://127.0.0.1:8080 --compare imgproxy=http://127.0.0.1:8081 \
                      --compare thumbor=http://127.0.0.1:8888 --report /tmp/cmp.json`,
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
	contenders, err := s.contenders()
	if err != nil {
		return badUsage(err)
	}
	cfg := s.config()
	if len(contenders) > 0 && len(cfg.Targets) == 0 {
		cfg.Targets = contenders[0].Targets // validated here; each run uses its own
	}
	if err := cfg.Validate(); err != nil {
		return badUsage(err)
	}
	live := newProgressLine(stdout)
	cfg.Progress = live.show
	if len(contenders) > 0 {
		fmt.Fprintf(stderr, "pixcdn bench: %s against %d servers in turn…\n", wl.Name(), len(contenders))
		cmp, err := bench.Compare(ctx, cfg, wl, contenders)
		live.clear()
		if cmp == nil {
			return benchFailure(err)
		}
		return finishBench(s, cmp, err, stdout)
	}
	fmt.Fprintf(stderr, "pixcdn bench: %s against %d target(s)…\n", wl.Name(), len(cfg.Targets))
	rep, err := bench.Run(ctx, cfg, wl)
	live.clear()
	if rep == nil {
		return benchFailure(err)
	}
	return finishBench(s, rep, err, stdout)
}

// benchResult is a single run's report or a comparison.
type benchResult interface {
	WriteJSON(io.Writer) error
	WriteText(io.Writer) error
	Lines() []bench.ChartLine
}

// benchFailure is the command's error for a run that produced no report.
func benchFailure(err error) error {
	if errors.Is(err, bench.ErrRemoteTarget) || errors.Is(err, bench.ErrBadConfig) || errors.Is(err, bench.ErrBadTarget) {
		return badUsage(err)
	}
	return err
}

// finishBench prints res, writes the --report files, and turns err (the
// run's, which may have cut res short) into the command's error.
func finishBench(s *benchSettings, res benchResult, err error, stdout io.Writer) error {
	if s.JSON {
		err = errors.Join(res.WriteJSON(stdout), err)
	} else {
		err = errors.Join(res.WriteText(stdout), err)
	}
	if s.Report != "" {
		files, werr := writeBenchReport(s, res)
		for _, f := range files {
			fmt.Fprintf(stdout, "wrote %s\n", f)
		}
		err = errors.Join(werr, err)
	}
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted: the report above is partial")
	}
	return err
}

// writeBenchReport writes res as JSON to s.Report and its charts beside it.
func writeBenchReport(s *benchSettings, res benchResult) ([]string, error) {
	f, err := os.Create(s.Report)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(res.WriteJSON(f), f.Close()); err != nil {
		return nil, err
	}
	charts, err := bench.WriteCharts(res.Lines(), bench.ChartBase(s.Report), s.ChartFormat)
	return append([]string{s.Report}, charts...), err
}

// contenders returns the servers of a --compare run: the --target edges
// (named pixcdn) first, then each --compare server; none without --compare.
func (s *benchSettings) contenders() ([]bench.Contender, error) {
	if len(s.Compare) == 0 {
		return nil, nil
	}
	var out []bench.Contender
	if len(s.Targets) > 0 {
		out = append(out, bench.Contender{Name: "pixcdn", Targets: s.Targets,
			Dialect: bench.Dialect{Name: bench.DialectPixcdn}, MetricsURLs: s.Metrics})
	}
	for _, spec := range s.Compare {
		c, err := bench.ParseContender(spec)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *benchSettings) config() bench.Config {
	cfg := bench.DefaultConfig()
	cfg.Targets, cfg.AllowRemote, cfg.Connections, cfg.Rate = s.Targets, s.AllowRemote, s.Connections, s.Rate
	cfg.Duration, cfg.Requests, cfg.Warmup, cfg.Timeout = s.Duration, s.Requests, s.Warmup, s.Timeout
	cfg.Method, cfg.Client, cfg.MaxBodyBytes = s.Method, s.Client, int64(s.MaxBody)
	cfg.Insecure, cfg.MetricsURLs, cfg.SampleInterval = s.Insecure, s.Metrics, s.Sample
	return cfg
}
