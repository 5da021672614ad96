package edge

import (
	"strconv"
	"testing"
	"time"

	"pixcdn/edge/imgurl"

	"pixcdn/internal/testenv"
)

func TestStaleWhileRevalidate(t *testing.T) {
	n := newTestNode(t)
	const uri = "/acme/cat.jpg?w=20&fm=png"
	first := n.get(uri)
	n.advance(70 * time.Second) // past max-age=60, within swr=30
	stale := n.get(uri)
	if stale.code != 200 || stale.h("X-Cache") != "STALE" || stale.body != first.body {
		t.Fatalf("stale: %+v", stale)
	}
	// The background revalidation asks the origin conditionally; its 304
	// refreshes the entry without a new transform.
	testenv.WaitFor(t, 5*time.Second, "background revalidation", func() bool {
		e, ok := n.cache.Get(imgurl.VariantKey("acme", "cat.jpg", "w=20", "png"))
		return ok && e.state(n.srv.now()) == fresh
	})
	if r := n.get(uri); r.h("X-Cache") != "HIT" || r.h("Age") != "0" {
		t.Fatalf("after revalidation: %+v", r.headers)
	}
	if f, tr := n.origin.fetches.Load(), n.codec.transforms.Load(); f != 2 || tr != 1 {
		t.Fatalf("origin fetches %d, transforms %d; want 2, 1", f, tr)
	}
}

func TestStaleIfError(t *testing.T) {
	n := newTestNode(t)
	const uri = "/acme/cat.jpg?w=21&fm=png"
	n.get(uri)
	n.advance(200 * time.Second) // past swr, within stale-if-error=600
	n.origin.fail.Store(true)
	r := n.get(uri)
	if r.code != 200 || r.h("X-Cache") != "STALE" {
		t.Fatalf("stale-if-error: %d %q", r.code, r.h("X-Cache"))
	}
	if got := counterValue(t, n.srv.metrics.staleIfError); got < 1 {
		t.Fatalf("stale-if-error counter = %v", got)
	}
	n.origin.fail.Store(false)
	if r := n.get(uri); r.h("X-Cache") != "REVALIDATED" {
		t.Fatalf("origin back: X-Cache %q", r.h("X-Cache"))
	}
	n.advance(2000 * time.Second) // past stale-if-error: nothing servable
	n.origin.fail.Store(true)
	if r := n.get(uri); r.code != 502 {
		t.Fatalf("past stale-if-error with origin down: %d", r.code)
	}
}

func TestSignedImages(t *testing.T) {
	key := []byte("sign-key-0123456789abcdef")
	n := newTestNode(t, func(c *Config, _ *Deps) { c.URL.SignKeys = [][]byte{key} })
	n.origin.put("acme", "secret.jpg", Original{Body: []byte(fakeJPEG("S")), ETag: `"s"`, Visibility: "signed"})
	if r := n.get("/acme/secret.jpg?w=5"); r.code != 403 {
		t.Fatalf("unsigned URL of a signed image: %d", r.code)
	}
	if r := n.get(imgurl.SignURL(key, "/acme/secret.jpg", "w=5")); r.code != 200 {
		t.Fatalf("signed URL: %d %q", r.code, r.body)
	}
	if r := n.get("/acme/secret.jpg?w=5&s=AAAA"); r.code != 403 {
		t.Fatalf("bad signature: %d", r.code)
	}
	if r := n.get("/acme/cat.jpg?w=5"); r.code != 200 {
		t.Fatalf("public image without signature: %d", r.code)
	}
}

func TestRequireSignature(t *testing.T) {
	key := []byte("sign-key-0123456789abcdef")
	n := newTestNode(t, func(c *Config, _ *Deps) {
		c.URL.SignKeys, c.URL.RequireSignature = [][]byte{key}, true
	})
	if r := n.get("/acme/cat.jpg?w=5"); r.code != 403 || n.origin.fetches.Load() != 0 {
		t.Fatalf("unsigned: %d, fetches %d", r.code, n.origin.fetches.Load())
	}
	if r := n.get(imgurl.SignURL(key, "/acme/cat.jpg", "")); r.code != 200 {
		t.Fatalf("signed original: %d", r.code)
	}
}

// The per-request L0 slot never outlives freshness or a purge.
func TestL0SlotHonoursFreshnessAndPurges(t *testing.T) {
	n := newTestNode(t)
	const uri = "/acme/cat.jpg?w=33&fm=png"
	for i, want := range []string{"MISS", "HIT", "HIT", "HIT"} {
		if r := n.get(uri); r.h("X-Cache") != want {
			t.Fatalf("request %d: %q, want %q", i, r.h("X-Cache"), want)
		}
	}
	n.srv.applyPurge(&PurgeRequest{Tenant: "acme", IDs: []string{"cat.jpg"}}, "push")
	if r := n.get(uri); r.h("X-Cache") != "MISS" {
		t.Fatalf("after purge: %q", r.h("X-Cache"))
	}
	n.get(uri) // HIT: into the L0 slot again
	n.advance(70 * time.Second)
	if r := n.get(uri); r.h("X-Cache") != "STALE" {
		t.Fatalf("past max-age: %q", r.h("X-Cache"))
	}
}

func TestL0HitsCountAgeAndKeepTheirBudget(t *testing.T) {
	n := newTestNode(t)
	const uri = "/acme/cat.jpg?w=34&fm=png"
	n.get(uri) // MISS
	n.get(uri) // HIT from the cache: kept in the L0 slot
	r := n.srv.memo.Get([]byte(uri), nil)
	if r == nil || r.l0.Load() == nil {
		t.Fatal("nothing in the L0 slot")
	}
	kept := n.srv.memo.Bytes()
	if body := int64(len(r.l0.Load().entry.Body)); kept != body {
		t.Fatalf("L0 budget spent %d bytes for a body of %d", kept, body)
	}
	for sec := 0; sec < 5; sec++ {
		for i := 0; i < 3; i++ {
			res := n.get(uri)
			if res.code != 200 || res.h("X-Cache") != "HIT" || res.h("Age") != strconv.Itoa(sec) {
				t.Fatalf("after %d s, request %d: %d %s, Age %q", sec, i, res.code, res.h("X-Cache"), res.h("Age"))
			}
		}
		if l := r.l0.Load(); l == nil || string(l.header.Peek("Age")) != strconv.Itoa(sec) {
			t.Fatalf("after %d s the L0 slot is not serving", sec)
		}
		n.advance(time.Second)
	}
	if got := n.srv.memo.Bytes(); got != kept {
		t.Fatalf("refreshing the L0 slot spent its budget again: %d bytes, want %d", got, kept)
	}
}
