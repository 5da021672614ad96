package guarded

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"pixcdn/edge"
)

// script answers fetches with the given errors in turn, then successes.
type script struct {
	errs  []error
	calls atomic.Int64
}

func (s *script) Fetch(context.Context, string, string, string) (edge.Original, error) {
	n := int(s.calls.Add(1)) - 1
	if n < len(s.errs) {
		return edge.Original{}, s.errs[n]
	}
	return edge.Original{Body: []byte("ok")}, nil
}

func fastConfig() Config {
	return Config{Attempts: 3, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, FailureThreshold: 2, Cooldown: time.Hour}
}

func TestRetriesTransientOnly(t *testing.T) {
	s := &script{errs: []error{edge.ErrOrigin, edge.ErrOriginTimeout}}
	g, _ := New(s, fastConfig())
	if o, err := g.Fetch(context.Background(), "a", "b", ""); err != nil || string(o.Body) != "ok" || s.calls.Load() != 3 {
		t.Fatalf("transient: %v after %d calls", err, s.calls.Load())
	}
	s = &script{errs: []error{edge.ErrNotFound}}
	g, _ = New(s, fastConfig())
	if _, err := g.Fetch(context.Background(), "a", "b", ""); !errors.Is(err, edge.ErrNotFound) || s.calls.Load() != 1 {
		t.Fatalf("not found retried: %v after %d calls", err, s.calls.Load())
	}
}

func TestBreakerOpensAndProbes(t *testing.T) {
	fail := []error{}
	for i := 0; i < 6; i++ {
		fail = append(fail, edge.ErrOrigin)
	}
	s := &script{errs: fail}
	g, _ := New(s, fastConfig())
	now := time.Now()
	g.now = func() time.Time { return now }
	for i := 0; i < 2; i++ {
		if _, err := g.Fetch(context.Background(), "a", "b", ""); !errors.Is(err, edge.ErrOrigin) {
			t.Fatal(err)
		}
	}
	calls := s.calls.Load()
	if _, err := g.Fetch(context.Background(), "a", "b", ""); !errors.Is(err, ErrOpen) || s.calls.Load() != calls || !g.Open() {
		t.Fatalf("open breaker let a fetch through: %v", err)
	}
	now = now.Add(2 * time.Hour) // cool-down over: one probe, which succeeds
	s.errs = nil
	if _, err := g.Fetch(context.Background(), "a", "b", ""); err != nil || g.Open() {
		t.Fatalf("probe: %v, open=%v", err, g.Open())
	}
}

func TestNoRetryPastDeadline(t *testing.T) {
	s := &script{errs: []error{edge.ErrOrigin, edge.ErrOrigin}}
	cfg := fastConfig()
	cfg.Backoff, cfg.MaxBackoff = time.Second, time.Second
	g, _ := New(s, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := g.Fetch(ctx, "a", "b", ""); err == nil || time.Since(start) > 90*time.Millisecond {
		t.Fatalf("retry outlived the deadline: %v after %v", err, time.Since(start))
	}
}
