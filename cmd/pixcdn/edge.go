package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"pixcdn/edge"
	"pixcdn/internal/config"
	"pixcdn/transform"
	"pixcdn/transform/libvips"
)

// edgeSettings configure `pixcdn edge`.
type edgeSettings struct {
	logSettings
	traceSettings
	Name     string   `flag:"name" help:"node name, unique and stable in the cluster (default: the host name and public port)"`
	Public   string   `flag:"public" help:"public listen address (browsers)"`
	Internal string   `flag:"internal" help:"internal listen address: metrics, health, /_cluster, /_purge, peers, pprof; never expose it"`
	Gossip   string   `flag:"gossip" help:"gossip listen address (UDP and TCP); empty runs a single node"`
	Join     []string `flag:"join" help:"gossip addresses of existing nodes, comma-separated"`

	TLSCert    string `flag:"tls-cert" help:"PEM certificate chain: with --tls-key, --public serves HTTPS only (TLS 1.2+), and a changed pair is put in use within seconds, no restart"`
	TLSKey     string `flag:"tls-key" help:"PEM private key of --tls-cert"`
	PublicHTTP string `flag:"public-http" help:"with --tls-cert: plain-HTTP listen address answering every request with a 308 to the same URL over https; empty serves no plain HTTP"`
	HTTPSPort  int    `flag:"https-port" help:"port of the https URLs --public-http redirects to, when clients reach --public on another port (default: the port of --public)"`

	Origin        string        `flag:"origin" help:"origin: dir:PATH (a folder per tenant) or http(s)://ORIGIN"`
	OriginKey     string        `flag:"origin-key" secret:"true" help:"the edge's key for an http(s) origin (role edge)"`
	OriginTimeout time.Duration `flag:"origin-timeout" help:"timeout of one origin fetch"`
	MaxOriginal   config.Bytes  `flag:"max-original" help:"largest original accepted from the origin"`
	FeedState     string        `flag:"feed-state" help:"file keeping the last applied origin event (default: CACHE_DIR/feed.seq, or none without --cache-dir)"`

	CacheDir  string       `flag:"cache-dir" help:"disk cache folder; empty keeps the cache in memory"`
	CacheSize config.Bytes `flag:"cache-size" help:"disk cache budget"`
	MemCache  config.Bytes `flag:"mem-cache" help:"memory cache budget"`

	ClusterSecret    string   `flag:"cluster-secret" secret:"true" help:"shared secret authenticating node-to-node requests and pprof (≥ 16 bytes; required with --gossip or --pprof)"`
	GossipKey        string   `flag:"gossip-key" secret:"true" help:"gossip encryption key: 16, 24 or 32 bytes, or their hex (required with --gossip)"`
	PurgeToken       string   `flag:"purge-token" secret:"true" help:"bearer token for POST /_purge on the internal port; empty disables it"`
	SignKey          []string `flag:"sign-key" secret:"true" help:"URL signing key (≥ 16 bytes); repeat for rotation"`
	RequireSignature bool     `flag:"require-signature" help:"refuse every URL without a valid signature"`
	Preset           []string `flag:"preset" help:"named preset NAME:OPTIONS, e.g. thumb:w=200&h=200&fit=cover (repeatable)"`
	PresetsOnly      bool     `flag:"presets-only" help:"allow only presets (p=), no free-form options"`
	Prerender        []string `flag:"prerender" help:"presets (names of --preset) each node renders in the background for the images it owns when the origin announces them new or replaced, e.g. thumb,card; negotiated ones for Chromium's Accept"`
	HotEntries       int      `flag:"hot-entries" help:"popular variants owned by other nodes kept here briefly (0 disables)"`
	MasterBound      int      `flag:"master-bound" help:"long side in pixels above which an original's ring owner makes a working master (a pre-shrunk copy) once, and variants that fit within it are made from it; 0 makes every variant from the original"`
	Pprof            bool     `flag:"pprof" help:"serve /debug/pprof on the internal port to requests with Authorization: Bearer <cluster secret>"`

	Workers            int           `flag:"workers" help:"transforms running at once (default: the number of CPUs)"`
	TransformQueue     int           `flag:"transform-queue" help:"transforms waiting for a worker before 503 (default: 16 per worker, enough for a node taking over a dead owner's fills)"`
	MaxOutputPixels    int64         `flag:"max-output-pixels" help:"largest result (width × height × frames) a URL may ask for, unless the original is larger"`
	MaxEffectWork      float64       `flag:"max-effect-work" help:"largest blur or sharpen: megapixels of the image × sigma²"`
	FormatOrder        string        `flag:"format-order" help:"preference order of fm=auto for still images among the formats the client accepts, from jxl, avif, webp; a format left out is never negotiated (default: avif,webp,jxl, see docs/benchmarks.md); every node of a cluster needs the same order"`
	AVIFEffort         int           `flag:"avif-effort" help:"AV1 encoder effort, 0 (fastest) to 9 (smallest files, slowest); see docs/benchmarks.md, AVIF effort"`
	FormatBudgets      bool          `flag:"format-budgets" help:"answer an uncached fm=auto variant whose format is slow to encode (AVIF, JPEG XL) at once with a cheaper format the client also accepts (WebP, else JPEG or PNG), fresh for --fallback-max-age, while the node that makes the variant renders the slow one in the background for later requests; explicit fm= always waits (--format-budgets=false turns this off)"`
	FallbackMaxAge     time.Duration `flag:"fallback-max-age" help:"max-age of such a cheaper answer: clients ask again after it and get the slow format once it is made"`
	BackgroundRenders  int           `flag:"background-renders" help:"slow formats rendered in the background at once; one more is dropped, not queued, and a later request starts it again (default: half of workers, at least 1)"`
	RequestTimeout     time.Duration `flag:"request-timeout" help:"deadline of one public request"`
	MaxMissesPerClient int           `flag:"max-misses-per-client" help:"uncached requests one client address (IPv4, IPv6 /64) may have waiting on transforms at once; more are answered 429 (default: half of workers + transform-queue; behind a proxy that hides client addresses set it to workers + transform-queue)"`
	MaxConnsPerIP      int           `flag:"max-conns-per-ip" help:"concurrent connections per client address (IPv4 address or IPv6 /64); more are answered 429"`
	MaxURL             int           `flag:"max-url" help:"longest request URI in bytes"`
	MaxHeader          int           `flag:"max-header" help:"largest request header block in bytes"`
	WriteBuffer        int           `flag:"write-buffer" help:"response buffer per connection in bytes, held while the connection lives: a response that fits is sent with one write, a larger one as header and body with one writev; at least 16384 over TLS (one TLS record)"`
	ReadTimeout        time.Duration `flag:"read-timeout" help:"time to read one request (0 disables: only behind a proxy that cuts off slow clients)"`
	WriteTimeout       time.Duration `flag:"write-timeout" help:"time to write one response (0 disables)"`
	IdleTimeout        time.Duration `flag:"idle-timeout" help:"how long a keep-alive connection may idle (0: the read timeout)"`
}

func edgeCommand() command {
	return command{
		name:    "edge",
		summary: "run an edge node (serves, resizes and caches images)",
		usage:   "[flags]",
		description: `Serves GET /{tenant}/{public_id}?options on --public, resizing and re-encoding
originals from --origin and caching every variant (memory over disk). Nodes
started with --gossip and --join form a cluster: each variant is made once, by
its ring owner. The internal port serves /metrics, /healthz, /readyz,
/_cluster and POST /_purge; with --pprof also /debug/pprof, to requests carrying
the cluster secret (Authorization: Bearer).`,
		newSettings: func() any { return defaultEdgeSettings() },
		run:         func(ctx context.Context, s any, _ []string) error { return runEdge(ctx, s.(*edgeSettings)) },
	}
}

func defaultEdgeSettings() *edgeSettings {
	return &edgeSettings{
		logSettings: defaultLogSettings(), traceSettings: defaultTraceSettings(),
		Public: "127.0.0.1:8080", Internal: "127.0.0.1:8180",
		Origin: "dir:./images", OriginTimeout: 10 * time.Second, MaxOriginal: 64 << 20,
		CacheSize: 10 << 30, MemCache: 512 << 20, HotEntries: 1024, MasterBound: edge.DefaultConfig().MasterBound,
		MaxOutputPixels: transform.DefaultLimits().MaxOutputPixels, MaxEffectWork: transform.DefaultLimits().MaxEffectWork,
		AVIFEffort: libvips.DefaultConfig().AVIFEffort, FormatBudgets: true, FallbackMaxAge: edge.DefaultConfig().FallbackMaxAge,
		RequestTimeout: 10 * time.Second, MaxConnsPerIP: 512, MaxURL: 2048, MaxHeader: 8 << 10, WriteBuffer: 4 << 10,
		ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second,
	}
}

func (s *edgeSettings) validate() error {
	switch {
	case s.Public == "" || s.Internal == "":
		return errors.New("public and internal: both addresses are required")
	case !strings.HasPrefix(s.Origin, "dir:") && !strings.HasPrefix(s.Origin, "http://") && !strings.HasPrefix(s.Origin, "https://"):
		return fmt.Errorf("origin: %q is neither dir:PATH nor http(s)://…", s.Origin)
	case s.Gossip != "" && len(s.ClusterSecret) < 16:
		return errors.New("cluster-secret: required with --gossip, at least 16 bytes")
	case s.Gossip != "" && s.GossipKey == "":
		return errors.New("gossip-key: required with --gossip")
	case s.Pprof && len(s.ClusterSecret) < 16:
		return errors.New("cluster-secret: required with --pprof (it authenticates profiling requests), at least 16 bytes")
	case (s.TLSCert == "") != (s.TLSKey == ""):
		return errors.New("tls-cert and tls-key: give both or neither")
	case s.PublicHTTP != "" && s.TLSCert == "":
		return errors.New("public-http: only with --tls-cert (it redirects to https)")
	case s.MasterBound < 0 || s.MasterBound > transform.MaxSide:
		return fmt.Errorf("master-bound: %d is outside 0 (off)…%d", s.MasterBound, transform.MaxSide)
	case s.BackgroundRenders < 0:
		return fmt.Errorf("background-renders: %d is negative", s.BackgroundRenders)
	case s.FormatBudgets && s.FallbackMaxAge < time.Second:
		return fmt.Errorf("fallback-max-age: %v is under a second", s.FallbackMaxAge)
	case s.HTTPSPort < 0 || s.HTTPSPort > 65535:
		return fmt.Errorf("https-port: %d is not a port", s.HTTPSPort)
	case s.MaxHeader < edge.MinHeaderBytes:
		return fmt.Errorf("max-header: %d is below the %d bytes a browser's request headers need", s.MaxHeader, edge.MinHeaderBytes)
	case s.MaxURL < edge.MinURLBytes || s.MaxURL > s.MaxHeader:
		return fmt.Errorf("max-url: %d is outside %d…max-header (%d)", s.MaxURL, edge.MinURLBytes, s.MaxHeader)
	case s.WriteBuffer < edge.MinWriteBufferBytes || s.WriteBuffer > edge.MaxWriteBufferBytes:
		return fmt.Errorf("write-buffer: %d is outside %d…%d bytes", s.WriteBuffer, edge.MinWriteBufferBytes, edge.MaxWriteBufferBytes)
	}
	return s.traceSettings.validate()
}

func (s *edgeSettings) nodeName() string {
	if s.Name != "" {
		return s.Name
	}
	host, _ := os.Hostname()
	return host + "-" + s.Public
}

func runEdge(ctx context.Context, s *edgeSettings) error {
	if err := s.validate(); err != nil {
		return badUsage(err)
	}
	log, err := s.newLogger(os.Stderr)
	if err != nil {
		return badUsage(err)
	}
	stopTracing, err := s.traceSettings.start(ctx, "pixcdn-edge", s.nodeName(), log)
	if err != nil {
		return badUsage(err)
	}
	defer stopTracing()
	n, err := startEdgeNode(ctx, s, log)
	if err != nil {
		return err
	}
	log.Info("edge node serving", "name", n.name, "public", s.Public, "internal", s.Internal, "gossip", s.Gossip, "origin", s.Origin)
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-n.failed:
		log.Error("listener failed", "err", err)
		n.stop(log)
		return err
	}
	n.stop(log)
	return nil
}
