package edge

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pixcdn/edge/eventfeed"
	"pixcdn/internal/testenv"
)

// An image the feed announces gets its master and its pre-rendered
// presets before any browser asks: the preset's first request is a hit
// and a variant that fits is made from the master made beforehand. A
// busy processor drops the background work, counted.
func TestAnnouncedImagesArePrerendered(t *testing.T) {
	mc := &fakeMasterCodec{fakeCodec: &fakeCodec{}}
	n := newTestNode(t, withMasters(mc), func(c *Config, d *Deps) {
		c.URL.Presets = map[string]string{"thumb": "w=200", "card": "w=600"}
		c.Prerender = []string{"thumb"}
		d.Events, d.FeedState = &feed{}, eventfeed.FileSeq{Path: filepath.Join(t.TempDir(), "seq")}
	})
	big := fakeSizedJPEG("BIG", 4000, 3000)
	n.origin.put("acme", "big.jpg", Original{Body: []byte(big), ETag: `"b"`, CacheControl: "public, max-age=600", Visibility: "public"})
	// Applied as the feed follower applies events (the fake feed's long
	// poll, empty when the node started, holds until the end).
	follow(n.srv, Event{Seq: 1, Tenant: "acme", PublicID: "big.jpg", Kind: "updated", At: time.Now()})
	prerendered := func(kind, result string) float64 {
		return counterValue(t, n.srv.metrics.prerenders.WithLabelValues(kind, result))
	}
	testenv.WaitFor(t, 5*time.Second, "the master and the preset", func() bool { return prerendered("master", "done") == 1 && prerendered("preset", "done") == 1 })
	if mc.made.Load() != 1 {
		t.Fatalf("masters made %d, want 1", mc.made.Load())
	}
	if r := n.get("/acme/big.jpg?p=thumb", "Accept", prerenderAccept); r.h("X-Cache") != "HIT" || !strings.HasPrefix(r.body, "from 4000×3000 ") {
		t.Fatalf("pre-rendered preset: %s %q", r.h("X-Cache"), r.body)
	}
	if r := n.get("/acme/big.jpg?p=card", "Accept", prerenderAccept); r.h("X-Cache") != "MISS" || !strings.HasPrefix(r.body, "from 4000×3000 ") || mc.made.Load() != 1 {
		t.Fatalf("first request of another preset: %s %q, %d masters made", r.h("X-Cache"), r.body, mc.made.Load())
	}

	mc.busy.Store(true)
	n.origin.put("acme", "big.jpg", Original{Body: []byte(fakeSizedJPEG("BIG2", 4000, 3000)), ETag: `"b2"`, CacheControl: "public, max-age=600", Visibility: "public"})
	follow(n.srv, Event{Seq: 2, Tenant: "acme", PublicID: "big.jpg", Kind: "updated", At: time.Now()})
	testenv.WaitFor(t, 5*time.Second, "the dropped master", func() bool { return prerendered("master", "dropped") == 1 })
	if mc.made.Load() != 1 {
		t.Fatalf("a busy processor made a background master: %d made", mc.made.Load())
	}
}

// follow applies ev as the live feed follower does.
func follow(s *Server, ev Event) {
	s.applyEvent(&ev)
	s.announceEvents([]Event{ev})
}

// Old news is not prepared: an announcement past prerenderMaxAge, and
// anything applied while catching up at start.
func TestOldAnnouncementsAreNotPrerendered(t *testing.T) {
	mc := &fakeMasterCodec{fakeCodec: &fakeCodec{}}
	f := &feed{events: []Event{{Seq: 1, Tenant: "acme", PublicID: "big.jpg", Kind: "updated", At: time.Now()}}}
	n := newTestNode(t, withMasters(mc), func(c *Config, d *Deps) {
		d.Events, d.FeedState = f, eventfeed.FileSeq{Path: filepath.Join(t.TempDir(), "seq")}
		d.Origin.(*fakeOrigin).put("acme", "big.jpg", Original{Body: []byte(fakeSizedJPEG("BIG", 4000, 3000)), ETag: `"b"`, Visibility: "public"})
	})
	follow(n.srv, Event{Seq: 2, Tenant: "acme", PublicID: "big.jpg", Kind: "updated", At: time.Now().Add(-2 * prerenderMaxAge)})
	follow(n.srv, Event{Seq: 3, Tenant: "acme", PublicID: "big.jpg", Kind: "deleted", At: time.Now()})
	time.Sleep(100 * time.Millisecond) // a queued job would have run by now
	if got := counterValue(t, n.srv.metrics.prerenders); got != 0 || mc.made.Load() != 0 || n.origin.fetches.Load() != 0 {
		t.Fatalf("old announcements: %v jobs, %d masters, %d origin fetches", got, mc.made.Load(), n.origin.fetches.Load())
	}
}
