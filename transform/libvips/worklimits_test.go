package libvips

import (
	"context"
	"errors"
	"testing"
	"time"

	"pixcdn/transform"
)

// Expensive option sets are refused from the plan, before any decoding:
// the outside test's 40 requests (w=8192&h=8192&fit=fill&blur=51..90 of a
// 5 MP photo) each took seconds of CPU; now each costs a header probe.
func TestExpensiveOptionsAreRefusedBeforeDecoding(t *testing.T) {
	p := newTestProcessor(t, nil)
	photo := photoJPEG(t, 2560, 1920, false) // 5 MP
	for _, c := range []struct {
		query, param string
	}{
		{"w=8192&h=8192&fit=fill&blur=60&fm=jpeg", "w,h"},
		{"w=8192&h=8192&fit=cover&fm=jpeg", "w,h"},
		{"w=5000&h=5000&fit=contain&fm=jpeg", "w,h"},
		{"w=8192&fit=outside&h=10&fm=jpeg", "w,h"},
		{"blur=50&fm=jpeg", "blur"},
		{"w=1000&blur=100&fm=jpeg", "blur"},
		{"sharpen=40&fm=jpeg", "sharpen"},
	} {
		o, err := transform.Parse(c.query)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.query, err)
		}
		start := time.Now()
		_, _, err = p.Process(context.Background(), photo, o)
		var oe *transform.OptionError
		if !errors.As(err, &oe) || oe.Param != c.param {
			t.Errorf("%s: err %v, want an option error naming %q", c.query, err, c.param)
		}
		if took := time.Since(start); took > 200*time.Millisecond {
			t.Errorf("%s: refused after %v, want before decoding", c.query, took)
		}
	}
}

// Work within the limits, and re-encoding a source larger than
// MaxOutputPixels, is not refused.
func TestWorkWithinTheLimitsIsDone(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) { c.Limits.MaxOutputPixels = 1 << 20 })
	photo := photoJPEG(t, 1600, 1200, false) // 1.9 MP, above the 1 MP limit
	for _, q := range []string{"fm=webp", "w=800&blur=20&fm=jpeg", "w=1024&h=1024&fit=fill&fm=jpeg", "w=200&sharpen=60&fm=jpeg"} {
		process(t, p, photo, q)
	}
	o, _ := transform.Parse("w=1500&h=1500&fit=fill&fm=jpeg") // larger than the limit and the source
	if _, _, err := p.Process(context.Background(), photo, o); !errors.Is(err, transform.ErrInvalidOption) {
		t.Fatalf("1500×1500 of a 1.9 MP source with a 1 MP limit: %v", err)
	}
}

// A transform that cannot get a worker within QueueWait fails with
// ErrOverloaded instead of waiting out its deadline.
func TestQueueWaitIsBounded(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) { c.Workers, c.QueueDepth, c.QueueWait = 1, 4, 100*time.Millisecond })
	if err := p.admit.acquire(context.Background()); err != nil { // the only worker is busy
		t.Fatal(err)
	}
	defer p.admit.release()
	start := time.Now()
	_, _, err := p.Process(context.Background(), fixture(t, "tiny"), transform.Options{Format: transform.PNG})
	if !errors.Is(err, transform.ErrOverloaded) {
		t.Fatalf("err %v, want ErrOverloaded", err)
	}
	if took := time.Since(start); took < 100*time.Millisecond || took > 2*time.Second {
		t.Fatalf("gave up after %v, want about QueueWait", took)
	}
}
