package edge

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"pixcdn/edge/imgurl"
	"pixcdn/transform"
)

// Config is the edge's request-path configuration. cmd/pixcdn fills it from
// flags, env and YAML.
type Config struct {
	// NodeName names this node in /_cluster and logs. Default "edge".
	NodeName string
	// URL configures presets and signatures. Default: none.
	URL imgurl.Config
	// ClusterSecret authenticates node-to-node requests on the internal
	// port. Required when the ring has other members. Default "".
	ClusterSecret string
	// PurgeToken authenticates POST /_purge. Empty disables the endpoint.
	PurgeToken string
	// Profiling serves /debug/pprof on the internal port to requests that
	// carry the cluster secret as the peer endpoints do (Authorization:
	// Bearer <ClusterSecret>); others get 401. Off, every pprof path is
	// 404. Default false.
	Profiling bool
	// RequestTimeout bounds one public request end to end. Default 10s.
	RequestTimeout time.Duration
	// FillTimeout bounds one fill (origin fetch + transform), which runs
	// detached from the requests waiting on it. Default 15s.
	FillTimeout time.Duration
	// ForwardTimeout bounds a forward to the owner before falling back to
	// serving locally. Default 5s.
	ForwardTimeout time.Duration
	// NegativeTTL is how long a 404 is remembered. Default 10s.
	NegativeTTL time.Duration
	// NegativeEntries bounds the 404 cache. Default 10000.
	NegativeEntries int
	// DefaultPolicy applies when the origin sends no Cache-Control.
	DefaultPolicy Policy
	// MaxMissesPerClient bounds the uncached requests one client (an IPv4
	// address or IPv6 /64) may have waiting on fills at once, so one
	// client cannot fill the transform queue; more are answered 429 at
	// once. 0 disables the bound. Default 8 per core: under half of what
	// the transform workers and queue hold, so other clients always find
	// room (cmd/pixcdn derives it from the real worker and queue sizes).
	MaxMissesPerClient int
	// RetryAfter is the Retry-After sent with 503 and 429. Default 1s.
	RetryAfter time.Duration
	// Revalidations bounds concurrent background revalidations. Default 16.
	Revalidations int
	// FormatBudgets answers an uncached negotiated (fm=auto) variant whose
	// format is slow to encode (AVIF, JPEG XL) at once with the variant of
	// a cheaper format the client also accepts (WebP, else JPEG or PNG),
	// fresh for FallbackMaxAge, and renders the slow variant in the
	// background for later requests (budget.go). Explicit formats always
	// wait for their variant. Needs a Codec that is a FormatBudget.
	// Default true.
	FormatBudgets bool
	// FallbackMaxAge is the max-age of such a cheaper answer, so clients
	// ask again soon and then get the better format. Default 60s.
	FallbackMaxAge time.Duration
	// BackgroundRenders bounds the slow variants rendered in the background
	// at once; one more is dropped (counted; a later request asks again),
	// never queued. Keep it below the transform workers, so requests always
	// find one free. Default 1.
	BackgroundRenders int
	// HotEntries bounds the hot copies a node keeps of popular variants it
	// does not own (0 disables them). Default 1024.
	HotEntries int
	// HotMaxBytes is the largest variant kept as a hot copy. Default 256 KiB.
	HotMaxBytes int
	// HotTTL bounds how long a hot copy is served without asking the owner
	// (purges remove it at once). Default 10s.
	HotTTL time.Duration
	// CatchUpTimeout bounds how long Start applies the origin events the
	// node missed while it was down before it returns (0: not at all, the
	// feed is followed in the background only). Default 5s.
	CatchUpTimeout time.Duration
	// MasterBound is the long side, in pixels, above which the ring owner
	// of an original makes a working master of it (master.go) when the
	// Codec is a MasterCodec; 0 makes every variant from its original.
	// Default 2048.
	MasterBound int
	// Prerender names presets (URL.Presets) whose variants are made when
	// the origin's event feed announces a new or replaced image, as
	// background work, by each variant's ring owner (prerender.go); the
	// original's owner then also makes its master. Negotiated presets are
	// made for Chromium's Accept. Default none.
	Prerender []string
	// Limits protect the public listener.
	Limits Limits
	// Logger receives operational logs. Default slog.Default().
	Logger *slog.Logger
	// TracerProvider records the spans of public and peer requests and
	// of the work they cause (see tracing.go). Nil turns tracing off:
	// the hit path then does no tracing work. Default nil.
	TracerProvider trace.TracerProvider
	// Propagator reads the trace context of incoming requests when
	// TracerProvider is set. Default nil: W3C trace context.
	Propagator propagation.TextMapPropagator
}

// The ranges of Limits that Validate accepts.
const (
	MinHeaderBytes      = 1 << 10 // what a browser's request headers need
	MinURLBytes         = 64      // and at most MaxHeaderBytes
	MinWriteBufferBytes = 1 << 10
	MaxWriteBufferBytes = 16 << 20
)

// Limits protect a listener against abusive or slow clients.
type Limits struct {
	// MaxHeaderBytes bounds the request line plus headers. Default 8 KiB.
	MaxHeaderBytes int
	// MaxURLBytes bounds the request URI. Default 2048.
	MaxURLBytes int
	// MaxConnsPerIP bounds concurrent connections per client address (an
	// IPv4 address or an IPv6 /64); more are answered 429. Default 512.
	MaxConnsPerIP int
	// MaxConns bounds concurrent connections in total. Default 65536.
	MaxConns int
	// WriteBufferBytes is each connection's response buffer, held for
	// the connection's life. A response that fits is copied into it and
	// sent with one write; a larger one is sent as header and body with
	// one writev. Default 4 KiB.
	WriteBufferBytes int
	// ReadTimeout, WriteTimeout bound reading a request and writing a
	// response. Defaults 10s, 30s. IdleTimeout bounds keep-alive idling.
	// Default 60s. 0 disables one (an IdleTimeout of 0 is ReadTimeout).
	// They are enforced off the request path (package edge/connwatch) and
	// fire up to a fifth of the shortest timeout (at most a second) late.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
}

// DefaultConfig returns the defaults documented on each field.
func DefaultConfig() Config {
	return Config{
		NodeName:           "edge",
		RequestTimeout:     10 * time.Second,
		FillTimeout:        15 * time.Second,
		ForwardTimeout:     5 * time.Second,
		NegativeTTL:        10 * time.Second,
		NegativeEntries:    10000,
		DefaultPolicy:      DefaultPolicy,
		RetryAfter:         time.Second,
		MaxMissesPerClient: 8 * runtime.NumCPU(),
		Revalidations:      16,
		FormatBudgets:      true,
		FallbackMaxAge:     60 * time.Second,
		BackgroundRenders:  1,
		HotEntries:         1024,
		HotMaxBytes:        256 << 10,
		HotTTL:             10 * time.Second,
		CatchUpTimeout:     5 * time.Second,
		MasterBound:        2048,
		Limits: Limits{
			MaxHeaderBytes: 8 << 10, MaxURLBytes: 2048, MaxConnsPerIP: 512, MaxConns: 65536, WriteBufferBytes: 4 << 10,
			ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second,
		},
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if err := c.URL.Validate(); err != nil {
		return err
	}
	if c.NodeName == "" {
		return errors.New("edge: NodeName is empty")
	}
	durations := map[string]time.Duration{
		"RequestTimeout": c.RequestTimeout, "FillTimeout": c.FillTimeout,
		"ForwardTimeout": c.ForwardTimeout, "NegativeTTL": c.NegativeTTL,
	}
	for name, d := range durations {
		if d <= 0 {
			return fmt.Errorf("edge: %s must be positive", name)
		}
	}
	l := c.Limits
	if l.ReadTimeout < 0 || l.WriteTimeout < 0 || l.IdleTimeout < 0 {
		return errors.New("edge: ReadTimeout, WriteTimeout and IdleTimeout must not be negative (0 disables)")
	}
	if c.HotEntries < 0 || c.HotMaxBytes < 0 || c.HotTTL < 0 || c.CatchUpTimeout < 0 {
		return errors.New("edge: HotEntries, HotMaxBytes, HotTTL and CatchUpTimeout must not be negative")
	}
	if c.FormatBudgets && (c.FallbackMaxAge < time.Second || c.BackgroundRenders < 1) {
		return errors.New("edge: with FormatBudgets, FallbackMaxAge must be ≥ 1s and BackgroundRenders ≥ 1")
	}
	if c.MasterBound < 0 || c.MasterBound > transform.MaxSide {
		return fmt.Errorf("edge: MasterBound must be 0 (off) to %d", transform.MaxSide)
	}
	if err := validPrerender(c.Prerender, c.URL.Presets); err != nil {
		return err
	}
	if c.MaxMissesPerClient < 0 {
		return errors.New("edge: MaxMissesPerClient must not be negative (0 disables)")
	}
	if c.NegativeEntries < 1 || c.Revalidations < 1 || l.MaxConnsPerIP < 1 || l.MaxConns < 1 {
		return errors.New("edge: NegativeEntries, Revalidations, MaxConnsPerIP and MaxConns must be ≥ 1")
	}
	if l.WriteBufferBytes < MinWriteBufferBytes || l.WriteBufferBytes > MaxWriteBufferBytes {
		return fmt.Errorf("edge: WriteBufferBytes must be between %d and %d", MinWriteBufferBytes, MaxWriteBufferBytes)
	}
	if l.MaxHeaderBytes < MinHeaderBytes || l.MaxURLBytes < MinURLBytes || l.MaxURLBytes > l.MaxHeaderBytes {
		return fmt.Errorf("edge: need MaxHeaderBytes ≥ %d and %d ≤ MaxURLBytes ≤ MaxHeaderBytes", MinHeaderBytes, MinURLBytes)
	}
	if c.ClusterSecret != "" && len(c.ClusterSecret) < 16 {
		return errors.New("edge: ClusterSecret shorter than 16 bytes")
	}
	return nil
}
