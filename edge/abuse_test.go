package edge

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pixcdn/edge/imgurl"
	"pixcdn/transform"
)

// blockingCodec is a fakeCodec whose transforms wait until released or
// cancelled, counting both outcomes.
type blockingCodec struct {
	fakeCodec
	release   chan struct{}
	started   atomic.Int64
	cancelled atomic.Int64
}

func (c *blockingCodec) Transform(ctx context.Context, src transform.Source, v Variant, format string) (Rendered, error) {
	c.started.Add(1)
	select {
	case <-c.release:
		return c.fakeCodec.Transform(ctx, src, v, format)
	case <-ctx.Done():
		c.cancelled.Add(1)
		return Rendered{}, ctx.Err()
	}
}

// Unsigned requests for a signed image are refused before any transform,
// and cost at most one origin fetch (which tells the edge it is signed).
func TestUnsignedRequestsForSignedImagesCostNoTransform(t *testing.T) {
	key := []byte("sign-key-0123456789abcdef")
	n := newTestNode(t, func(c *Config, _ *Deps) { c.URL.SignKeys = [][]byte{key} })
	n.origin.put("acme", "secret.jpg", Original{Body: []byte(fakeJPEG("S")), ETag: `"s"`, Visibility: "signed"})
	for w := 1; w <= 20; w++ {
		if r := n.get(fmt.Sprintf("/acme/secret.jpg?w=%d", w)); r.code != 403 {
			t.Fatalf("unsigned w=%d: %d %q", w, r.code, r.body)
		}
	}
	if tr, f := n.codec.transforms.Load(), n.origin.fetches.Load(); tr != 0 || f > 1 {
		t.Fatalf("20 unsigned requests for a signed image: %d transforms, %d origin fetches; want 0 and at most 1", tr, f)
	}
	if r := n.get(imgurl.SignURL(key, "/acme/secret.jpg", "w=5")); r.code != 200 {
		t.Fatalf("signed URL: %d %q", r.code, r.body)
	}
	// A variant cached by a signed request is still refused unsigned.
	if r := n.get("/acme/secret.jpg?w=5"); r.code != 403 {
		t.Fatalf("unsigned hit: %d", r.code)
	}
	if tr := n.codec.transforms.Load(); tr != 1 {
		t.Fatalf("transforms = %d, want the signed one only", tr)
	}
}

// A fill nobody waits for any more is cancelled, and a wait that ends while
// the variant is being made is a fast 503 with Retry-After, not a 504: the
// origin was not involved.
func TestAbandonedFillsAreCancelled(t *testing.T) {
	codec := &blockingCodec{release: make(chan struct{})}
	n := newTestNode(t, func(c *Config, d *Deps) {
		c.RequestTimeout, c.FillTimeout = 200*time.Millisecond, time.Minute
		d.Codec = codec
	})
	start := time.Now()
	r := n.get("/acme/cat.jpg?w=10")
	if r.code != 503 || r.h("Retry-After") == "" {
		t.Fatalf("a variant that took too long: %d %q Retry-After %q; want 503 with Retry-After", r.code, r.body, r.h("Retry-After"))
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the 503 took %v", took)
	}
	deadline := time.Now().Add(2 * time.Second)
	for codec.cancelled.Load() != 1 || n.srv.fills.running() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("abandoned fill still running: cancelled %d, running %d", codec.cancelled.Load(), n.srv.fills.running())
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(codec.release)
	if r := n.get("/acme/cat.jpg?w=10"); r.code != 200 || r.h("X-Cache") != "MISS" {
		t.Fatalf("after the cancelled fill: %d %q", r.code, r.h("X-Cache"))
	}
}

// One client cannot hold more than MaxMissesPerClient fills; joining a fill
// already running is free, and the client gets its units back.
func TestMissesPerClientAreBounded(t *testing.T) {
	codec := &blockingCodec{release: make(chan struct{})}
	n := newTestNode(t, func(c *Config, d *Deps) {
		c.MaxMissesPerClient = 2 // two fills at once per client
		d.Codec = codec
	})
	var wg sync.WaitGroup
	codes := make(chan int, 8)
	get := func(uri string) {
		defer wg.Done()
		codes <- n.get(uri).code
	}
	wg.Add(4)
	go get("/acme/cat.jpg?w=1")
	go get("/acme/cat.jpg?w=2")
	go get("/acme/cat.jpg?w=1") // joins
	go get("/acme/cat.jpg?w=2") // joins
	deadline := time.Now().Add(2 * time.Second)
	for codec.started.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the two fills never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	r := n.get("/acme/cat.jpg?w=3")
	if r.code != 429 || r.h("Retry-After") == "" {
		t.Fatalf("a third distinct miss: %d Retry-After %q; want 429 with Retry-After", r.code, r.h("Retry-After"))
	}
	if codec.started.Load() != 2 {
		t.Fatalf("%d transforms started, want 2", codec.started.Load())
	}
	close(codec.release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Fatalf("a request within the bound got %d", c)
		}
	}
	if r := n.get("/acme/cat.jpg?w=3"); r.code != 200 {
		t.Fatalf("units not given back: %d", r.code)
	}
	if m := n.internalDo("GET", "/metrics", "").body; !containsLine(m, "pixcdn_misses_refused_total 1") {
		t.Fatal("pixcdn_misses_refused_total is not 1")
	}
}

func containsLine(text, line string) bool {
	for len(text) > 0 {
		var l string
		l, text, _ = strings.Cut(text, "\n")
		if l == line {
			return true
		}
	}
	return false
}
