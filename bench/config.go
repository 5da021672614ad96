package bench

import (
	"errors"
	"fmt"
	"time"
)

// ErrBadConfig reports an invalid engine configuration.
var ErrBadConfig = errors.New("bench: invalid config")

// Config is one load run. The zero value is not valid; start from
// DefaultConfig.
type Config struct {
	// Targets are edge base URLs (http://HOST:PORT); requests are spread
	// over them round-robin. Required.
	Targets []string `json:"targets"`
	// AllowRemote permits targets and metrics URLs outside loopback and
	// private address space. Default false: we only load machines we own.
	AllowRemote bool `json:"allow_remote"`
	// Connections is the number of workers, each with at most one request
	// in flight: the concurrency of a closed loop, the maximum in-flight
	// requests of an open loop. Default 16, at most 100000.
	Connections int `json:"connections"`
	// Rate is the open-loop arrival rate in requests/s; 0 selects a closed
	// loop (each worker sends its next request when the last completes).
	// Default 0.
	Rate float64 `json:"rate"`
	// Duration bounds the measured phase; 0 means no time bound (Requests
	// must then be set). Default 10s.
	Duration time.Duration `json:"duration"`
	// Requests bounds the measured phase by requests sent; 0 means no count
	// bound. Default 0. Whichever bound is hit first ends the run.
	Requests int64 `json:"requests"`
	// Warmup is an unmeasured phase before the measured one, on the same
	// connections (fills caches and the ETag memory). Default 0.
	Warmup time.Duration `json:"warmup"`
	// Timeout bounds each request. Default 5s.
	Timeout time.Duration `json:"timeout"`
	// Method is GET or HEAD. Default GET.
	Method string `json:"method"`
	// Client is the HTTP stack: "fasthttp" (default, more load per core)
	// or "nethttp".
	Client string `json:"client"`
	// MaxBodyBytes caps one response body; larger ones count as errors.
	// Default 64 MiB.
	MaxBodyBytes int64 `json:"max_body_bytes"`
	// Insecure skips TLS certificate verification for https targets.
	// Default false.
	Insecure bool `json:"insecure"`
	// MetricsURLs are edges' internal /metrics endpoints, scraped before and
	// after the measured phase to count origin fetches and transforms.
	// Optional.
	MetricsURLs []string `json:"metrics_urls"`
	// SampleInterval is the width of one point of Report.Timeline (and how
	// often Progress is called), widened when needed so that Duration
	// spans at most 600 points. Default 1s.
	SampleInterval time.Duration `json:"sample_interval"`
	// Progress, if set, is called from another goroutine after each
	// SampleInterval of the measured phase with the figures so far. It
	// must return quickly. Optional.
	Progress func(Progress) `json:"-"`
}

// DefaultConfig returns the defaults documented on the fields (no targets).
func DefaultConfig() Config {
	return Config{
		Connections:    16,
		Duration:       10 * time.Second,
		Timeout:        5 * time.Second,
		Method:         "GET",
		Client:         ClientFastHTTP,
		MaxBodyBytes:   64 << 20,
		SampleInterval: time.Second,
	}
}

// Validate reports the first invalid field. It does not resolve hosts;
// Run checks that targets are local.
func (c Config) Validate() error {
	switch {
	case len(c.Targets) == 0:
		return fmt.Errorf("%w: at least one target is required", ErrBadConfig)
	case c.Connections < 1 || c.Connections > 100000:
		return fmt.Errorf("%w: connections %d, want 1..100000", ErrBadConfig, c.Connections)
	case !(c.Rate >= 0 && c.Rate <= 10e6):
		return fmt.Errorf("%w: rate %v, want 0 (closed loop) or up to 1e7 requests/s", ErrBadConfig, c.Rate)
	case c.Duration < 0 || c.Requests < 0 || c.Warmup < 0:
		return fmt.Errorf("%w: duration, requests and warmup must not be negative", ErrBadConfig)
	case c.Duration == 0 && c.Requests == 0:
		return fmt.Errorf("%w: set duration or requests (or both) to bound the run", ErrBadConfig)
	case c.Timeout <= 0:
		return fmt.Errorf("%w: timeout must be positive", ErrBadConfig)
	case c.SampleInterval <= 0:
		return fmt.Errorf("%w: sample interval must be positive", ErrBadConfig)
	case c.Method != "GET" && c.Method != "HEAD":
		return fmt.Errorf("%w: method %q, want GET or HEAD", ErrBadConfig, c.Method)
	case c.Client != ClientFastHTTP && c.Client != ClientNetHTTP:
		return fmt.Errorf("%w: client %q, want %s or %s", ErrBadConfig, c.Client, ClientFastHTTP, ClientNetHTTP)
	case c.MaxBodyBytes < 1 || c.MaxBodyBytes > 1<<31-1:
		return fmt.Errorf("%w: max body bytes %d, want 1..2GiB", ErrBadConfig, c.MaxBodyBytes)
	}
	for _, raw := range c.Targets {
		if _, err := ParseTarget(raw); err != nil {
			return fmt.Errorf("%w: %w", ErrBadConfig, err)
		}
	}
	return nil
}
