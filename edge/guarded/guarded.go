// Package guarded wraps an edge.Origin with retries and a circuit breaker:
// idempotent fetches that fail with a transient error (edge.ErrOrigin,
// edge.ErrOriginTimeout) are retried with jittered exponential backoff
// while the caller's deadline allows, and after a run of consecutive
// failures the breaker opens and fetches fail at once for a cool-down, so a
// dead origin costs fast 502s instead of piles of waiting requests.
package guarded

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"pixcdn/edge"
)

// ErrOpen is returned while the breaker is open. It wraps edge.ErrOrigin.
var ErrOpen = fmt.Errorf("%w: circuit breaker open", edge.ErrOrigin)

// Config configures retries and the breaker.
type Config struct {
	// Attempts is the total number of tries per fetch. Default 3.
	Attempts int
	// Backoff is the pause before the first retry; it doubles per retry,
	// with ±50% jitter, up to MaxBackoff. Defaults 50ms and 1s.
	Backoff, MaxBackoff time.Duration
	// FailureThreshold is how many consecutive failed fetches open the
	// breaker. Default 5.
	FailureThreshold int
	// Cooldown is how long the breaker stays open before one probe fetch
	// is let through (half-open). Default 5s.
	Cooldown time.Duration
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{Attempts: 3, Backoff: 50 * time.Millisecond, MaxBackoff: time.Second, FailureThreshold: 5, Cooldown: 5 * time.Second}
}

// Validate reports an invalid config.
func (c Config) Validate() error {
	if c.Attempts < 1 || c.FailureThreshold < 1 || c.Backoff <= 0 || c.MaxBackoff < c.Backoff || c.Cooldown <= 0 {
		return errors.New("guarded: need Attempts, FailureThreshold ≥ 1 and 0 < Backoff ≤ MaxBackoff, Cooldown > 0")
	}
	return nil
}

// Origin is a guarded edge.Origin. Safe for concurrent use.
type Origin struct {
	inner edge.Origin
	cfg   Config
	now   func() time.Time

	mu       sync.Mutex
	failures int       // consecutive failed fetches
	openTill time.Time // breaker open until then
	probing  bool      // a half-open probe is in flight
}

// New wraps inner.
func New(inner edge.Origin, cfg Config) (*Origin, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Origin{inner: inner, cfg: cfg, now: time.Now}, nil
}

// Fetch fetches through the breaker, retrying transient failures.
func (o *Origin) Fetch(ctx context.Context, tenant, publicID, ifNoneMatch string) (edge.Original, error) {
	probe, err := o.admit()
	if err != nil {
		return edge.Original{}, err
	}
	var orig edge.Original
	backoff := o.cfg.Backoff
	for attempt := 1; ; attempt++ {
		orig, err = o.inner.Fetch(ctx, tenant, publicID, ifNoneMatch)
		if err == nil || !transient(err) || attempt == o.cfg.Attempts || !sleep(ctx, jitter(backoff)) {
			break
		}
		backoff = min(backoff*2, o.cfg.MaxBackoff)
	}
	o.record(probe, err == nil || !transient(err))
	return orig, err
}

// transient reports failures worth retrying and counting against the origin.
func transient(err error) bool {
	return errors.Is(err, edge.ErrOrigin) || errors.Is(err, edge.ErrOriginTimeout)
}

// admit lets a fetch through unless the breaker is open; after the
// cool-down exactly one probe passes.
func (o *Origin) admit() (probe bool, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failures < o.cfg.FailureThreshold {
		return false, nil
	}
	if o.now().Before(o.openTill) || o.probing {
		return false, ErrOpen
	}
	o.probing = true
	return true, nil
}

func (o *Origin) record(probe, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if probe {
		o.probing = false
	}
	if ok {
		o.failures = 0
		return
	}
	o.failures++
	if o.failures >= o.cfg.FailureThreshold {
		o.openTill = o.now().Add(o.cfg.Cooldown)
	}
}

// Open reports whether the breaker currently refuses fetches.
func (o *Origin) Open() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.failures >= o.cfg.FailureThreshold && o.now().Before(o.openTill)
}

func jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(rand.Int64N(int64(d)+1))
}

// sleep waits d unless ctx ends first (or would end before d passes).
func sleep(ctx context.Context, d time.Duration) bool {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
