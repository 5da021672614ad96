package edge

import (
	"context"
	"strings"
	"testing"
	"time"

	"pixcdn/edge/imgurl"
	"pixcdn/edge/peer"
	"pixcdn/transform"

	"pixcdn/internal/testenv"
)

// budgetCodec is fakeCodec with a slow format: it negotiates "avif" for
// clients that accept it, names "webp" the cheaper format of "avif" (a
// FormatBudget), and holds every AVIF transform until release is closed,
// announcing each on started first.
type budgetCodec struct {
	fakeCodec
	started chan struct{}
	release chan struct{}
}

func newBudgetCodec() *budgetCodec {
	return &budgetCodec{started: make(chan struct{}, 16), release: make(chan struct{})}
}

func (c *budgetCodec) Negotiate(accept string) string {
	if strings.Contains(accept, "image/avif") {
		return "avif"
	}
	return c.fakeCodec.Negotiate(accept)
}

func (c *budgetCodec) Cheaper(format string) (string, bool) { return "webp", format == "avif" }

func (c *budgetCodec) Transform(ctx context.Context, src transform.Source, v Variant, format string) (Rendered, error) {
	if format == "avif" {
		c.started <- struct{}{}
		select {
		case <-c.release:
		case <-ctx.Done():
			return Rendered{}, ctx.Err()
		}
	}
	return c.fakeCodec.Transform(ctx, src, v, format)
}

// withBudgetCodec makes a node use codec, with fallbacks fresh for 7s (the
// test origin's own max-age is 60s).
func withBudgetCodec(codec *budgetCodec) nodeOption {
	return func(c *Config, d *Deps) { d.Codec, c.FallbackMaxAge = codec, 7*time.Second }
}

const chromeAccept = "image/avif,image/webp,*/*"

// metric returns the line of /metrics that starts with name and labels.
func (n *testNode) metricLine(name string) string {
	n.t.Helper()
	for _, l := range strings.Split(n.internalDo("GET", "/metrics", "").body, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	return ""
}

func TestNegotiatedSlowFormatIsAnsweredWithCheaperOneMeanwhile(t *testing.T) {
	codec := newBudgetCodec()
	n := newTestNode(t, withBudgetCodec(codec))
	r := n.get("/acme/cat.jpg?w=40", "Accept", chromeAccept)
	if r.code != 200 || r.body != catJPEG+"|w=40|webp" || r.h("Cache-Control") != "public, max-age=7" ||
		r.h("Vary") != "Accept" || r.h("X-Cache") != "MISS" || r.h("Age") != "0" {
		t.Fatalf("fallback: %d %q %+v", r.code, r.body, r.headers)
	}
	<-codec.started // the AVIF render runs, held by the codec, while the answer came
	webpETag := r.h("ETag")
	// The same URL while the AVIF is still being made: the cached WebP
	// again, and no second render (deduplicated with the running one).
	if r := n.get("/acme/cat.jpg?w=40", "Accept", chromeAccept); r.body != catJPEG+"|w=40|webp" || r.h("ETag") != webpETag {
		t.Fatalf("second request: %q %+v", r.body, r.headers)
	}
	if r := n.get("/acme/cat.jpg?w=40", "Accept", chromeAccept, "If-None-Match", webpETag); r.code != 304 || r.h("Cache-Control") != "public, max-age=7" {
		t.Fatalf("revalidating the fallback: %d %+v", r.code, r.headers)
	}
	// Another variant while the lane (1 render) is full: its render is
	// dropped, its answer still comes at once.
	if r := n.get("/acme/cat.jpg?w=50", "Accept", chromeAccept); r.body != catJPEG+"|w=50|webp" {
		t.Fatalf("other variant: %q", r.body)
	}
	// A client that accepts WebP only gets the same cached WebP variant,
	// under its own policy.
	if r := n.get("/acme/cat.jpg?w=40", "Accept", "image/webp"); r.h("X-Cache") != "HIT" || r.h("ETag") != webpETag ||
		!strings.HasPrefix(r.h("Cache-Control"), "public, max-age=60, ") {
		t.Fatalf("webp client: %+v", r.headers)
	}
	for name, want := range map[string]string{
		`pixcdn_background_renders_total{result="started"}`: "1",
		`pixcdn_background_renders_total{result="dropped"}`: "1",
		"pixcdn_format_fallbacks_total":                     "4",
	} {
		if l := n.metricLine(name); l != name+" "+want {
			t.Errorf("metric %q, want %s", l, want)
		}
	}
	if got := codec.transforms.Load(); got != 2 { // the two WebPs
		t.Fatalf("transforms before the AVIF: %d", got)
	}
	close(codec.release)
	testenv.WaitFor(t, 5*time.Second, "the background render", func() bool {
		return n.metricLine(`pixcdn_background_renders_total{result="done"}`) != ""
	})
	r = n.get("/acme/cat.jpg?w=40", "Accept", chromeAccept, "If-None-Match", webpETag)
	if r.code != 200 || r.body != catJPEG+"|w=40|avif" || r.h("ETag") == webpETag || r.h("X-Cache") != "HIT" ||
		!strings.HasPrefix(r.h("Cache-Control"), "public, max-age=60, ") || r.h("Vary") != "Accept" {
		t.Fatalf("after the render: %d %q %+v", r.code, r.body, r.headers)
	}
}

func TestExplicitSlowFormatWaits(t *testing.T) {
	for _, c := range []struct {
		name, uri string
		budgets   bool
	}{
		{"explicit fm=avif", "/acme/cat.jpg?w=40&fm=avif", true},
		{"negotiated, budgets off", "/acme/cat.jpg?w=40", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			codec := newBudgetCodec()
			n := newTestNode(t, withBudgetCodec(codec), func(cfg *Config, _ *Deps) { cfg.FormatBudgets = c.budgets })
			done := make(chan result, 1)
			go func() { done <- n.get(c.uri, "Accept", chromeAccept) }()
			<-codec.started
			select {
			case r := <-done:
				t.Fatalf("answered before the AVIF was made: %d %q", r.code, r.body)
			default:
			}
			close(codec.release)
			r := <-done
			if r.code != 200 || r.body != catJPEG+"|w=40|avif" || r.h("Cache-Control") == "public, max-age=7" {
				t.Fatalf("%d %q %+v", r.code, r.body, r.headers)
			}
			if l := n.metricLine("pixcdn_format_fallbacks_total"); l != "pixcdn_format_fallbacks_total 0" {
				t.Fatalf("fallbacks: %q", l)
			}
		})
	}
}

// The owner decides and renders; the forwarding node relays the fallback
// but keeps no hot copy of it, so it asks again and gets the AVIF once made.
func TestFallbackThroughForwardingNodeIsNotKept(t *testing.T) {
	codec := newBudgetCodec()
	a, b := twoNodes(t, withBudgetCodec(codec))
	for range 3 { // a hot copy is kept from the second sighting on
		r := a.get("/acme/cat.jpg?w=40", "Accept", chromeAccept)
		if r.body != catJPEG+"|w=40|webp" || r.h("X-Cache") != "PEER" || r.h("Cache-Control") != "public, max-age=7" ||
			r.h(peer.HeaderProvisional) != "" {
			t.Fatalf("through a: %q %+v", r.body, r.headers)
		}
	}
	close(codec.release)
	testenv.WaitFor(t, 5*time.Second, "the owner's render", func() bool {
		return b.metricLine(`pixcdn_background_renders_total{result="done"}`) != ""
	})
	if r := a.get("/acme/cat.jpg?w=40", "Accept", chromeAccept); r.body != catJPEG+"|w=40|avif" {
		t.Fatalf("after the render: %q %+v", r.body, r.headers)
	}
	if l := a.metricLine(`pixcdn_background_renders_total{result="started"}`); l != "" {
		t.Fatalf("the forwarding node rendered: %q", l)
	}
}

// An unsigned negotiated request for a signed image is refused before any
// fallback or background render; a signed one gets both.
func TestFallbackHonoursSignedImages(t *testing.T) {
	key := []byte("sign-key-0123456789abcdef")
	codec := newBudgetCodec()
	n := newTestNode(t, withBudgetCodec(codec), func(c *Config, _ *Deps) { c.URL.SignKeys = [][]byte{key} })
	n.origin.put("acme", "secret.jpg", Original{Body: []byte(fakeJPEG("S")), ETag: `"s"`, Visibility: "signed"})
	if r := n.get("/acme/secret.jpg?w=5", "Accept", chromeAccept); r.code != 403 {
		t.Fatalf("unsigned: %d %q", r.code, r.body)
	}
	if l := n.metricLine(`pixcdn_background_renders_total{result="started"}`); l != "" || codec.transforms.Load() != 0 {
		t.Fatalf("an unsigned request cost work: %q, %d transforms", l, codec.transforms.Load())
	}
	r := n.get(imgurl.SignURL(key, "/acme/secret.jpg", "w=5"), "Accept", chromeAccept)
	if r.code != 200 || r.body != fakeJPEG("S")+"|w=5|webp" || r.h("Cache-Control") != "public, max-age=7" {
		t.Fatalf("signed: %d %q %+v", r.code, r.body, r.headers)
	}
	<-codec.started
	close(codec.release)
}
