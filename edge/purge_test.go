package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"pixcdn/edge/eventfeed"
	"pixcdn/internal/testenv"
)

func counterValue(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 16)
	c.Collect(ch)
	close(ch)
	total := 0.0
	for m := range ch {
		var d dto.Metric
		if err := m.Write(&d); err != nil {
			t.Fatal(err)
		}
		switch {
		case d.Counter != nil:
			total += d.Counter.GetValue()
		case d.Histogram != nil:
			total += float64(d.Histogram.GetSampleCount())
		}
	}
	return total
}

type recordingBroadcaster struct {
	mu   sync.Mutex
	msgs [][]byte
}

func (b *recordingBroadcaster) Broadcast(m []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, append([]byte(nil), m...))
	return nil
}

func TestPurgeEndpoint(t *testing.T) {
	bc := &recordingBroadcaster{}
	n := newTestNode(t, func(_ *Config, d *Deps) { d.Broadcaster = bc })
	n.get("/acme/cat.jpg?w=1&fm=png")
	auth := []string{"Authorization", "Bearer purge-token"}
	if r := n.internalDo("POST", "/_purge", `{"tenant":"acme","ids":["cat.jpg"]}`); r.code != 401 {
		t.Fatalf("no token: %d", r.code)
	}
	if r := n.internalDo("POST", "/_purge", `{"tenant":"acme"`, auth...); r.code != 400 {
		t.Fatalf("bad JSON: %d", r.code)
	}
	if r := n.internalDo("POST", "/_purge", `{"tenant":"acme"}`, auth...); r.code != 400 {
		t.Fatalf("empty purge: %d", r.code)
	}
	at := time.Now().Add(-50 * time.Millisecond).Format(time.RFC3339Nano)
	if r := n.internalDo("POST", "/_purge", `{"tenant":"acme","tags":["pets"],"seq":7,"at":"`+at+`"}`, auth...); r.code != 200 {
		t.Fatalf("purge: %d %q", r.code, r.body)
	}
	if r := n.get("/acme/cat.jpg?w=1&fm=png"); r.h("X-Cache") != "MISS" {
		t.Fatalf("after purge: %q", r.h("X-Cache"))
	}
	if len(bc.msgs) != 1 || bc.msgs[0][0] != broadcastPrefix {
		t.Fatalf("broadcasts: %q", bc.msgs)
	}
	if lag := counterValue(t, n.srv.metrics.purgeLag); lag != 1 {
		t.Fatalf("purge lag observations = %v", lag)
	}
	// The same event by gossip is not applied again: the variant cached
	// since stays, and the lag is counted once.
	if r := n.get("/acme/cat.jpg?w=1&fm=png"); r.h("X-Cache") != "HIT" {
		t.Fatalf("refilled after the purge: %q", r.h("X-Cache"))
	}
	n.srv.HandleBroadcast(bc.msgs[0])
	n.srv.HandleBroadcast([]byte("garbage"))
	if lag := counterValue(t, n.srv.metrics.purgeLag); lag != 1 {
		t.Fatalf("purge lag observations after duplicate = %v", lag)
	}
	if r := n.get("/acme/cat.jpg?w=1&fm=png"); r.h("X-Cache") != "HIT" {
		t.Fatalf("after a duplicate of the event: %q, want the refilled variant kept", r.h("X-Cache"))
	}
}

func TestPurgeLogClaims(t *testing.T) {
	l := newPurgeLog(2)
	if first, _ := l.claim(7); !first {
		t.Fatal("first claim of 7 is not first")
	}
	first, done := l.claim(7)
	if first {
		t.Fatal("second claim of 7 is first")
	}
	select {
	case <-done:
		t.Fatal("a duplicate's channel is closed before the first application finished")
	default:
	}
	l.finish(7)
	<-done
	// 7 and 8 leave the window after two newer claims: 7 is new again, and
	// a duplicate of the unfinished 8 is not left waiting forever.
	l.claim(8)
	_, waiting := l.claim(8)
	l.claim(9)
	l.claim(10)
	<-waiting
	if first, _ := l.claim(7); !first {
		t.Fatal("7 is still remembered beyond the window")
	}
}

func TestBroadcastPurgeApplies(t *testing.T) {
	n := newTestNode(t)
	n.get("/acme/cat.jpg?w=2&fm=png")
	msg, _ := json.Marshal(PurgeRequest{Tenant: "acme", Prefix: "ca"})
	n.srv.HandleBroadcast(append([]byte{broadcastPrefix}, msg...))
	if r := n.get("/acme/cat.jpg?w=2&fm=png"); r.h("X-Cache") != "MISS" {
		t.Fatalf("after gossip purge: %q", r.h("X-Cache"))
	}
}

// feed serves a fixed list of events once, then blocks until ctx ends.
type feed struct {
	mu     sync.Mutex
	events []Event
	afters []int64
	// delay holds every answer back; down makes every call fail after it.
	delay time.Duration
	down  bool
}

// Events answers like the origin: the events after after, or none once
// wait has passed (at once for wait 0; never, for a long poll, here).
func (f *feed) Events(ctx context.Context, after int64, wait time.Duration) ([]Event, error) {
	f.mu.Lock()
	f.afters = append(f.afters, after)
	var out []Event
	for _, e := range f.events {
		if e.Seq > after {
			out = append(out, e)
		}
	}
	delay, down := f.delay, f.down
	f.mu.Unlock()
	select {
	case <-time.After(delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if down {
		return nil, ErrOrigin
	}
	if len(out) == 0 && wait > 0 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return out, nil
}

func TestEventFeed(t *testing.T) {
	store := eventfeed.FileSeq{Path: filepath.Join(t.TempDir(), "seq")}
	if err := store.Save(4); err != nil {
		t.Fatal(err)
	}
	f := &feed{events: []Event{
		{Seq: 3, Tenant: "acme", PublicID: "dog.jpg", Kind: "updated"}, // already applied
		{Seq: 5, Tenant: "acme", PublicID: "cat.jpg", Kind: "updated", At: time.Now()},
		{Seq: 6, Tenant: "acme", Kind: "purge-tag", Tags: []string{"x"}},
	}}
	n := newTestNode(t, func(_ *Config, d *Deps) { d.Events, d.FeedState = f, store })
	n.get("/acme/cat.jpg?w=9&fm=png") // may race with the feed; the wait below settles it
	testenv.WaitFor(t, 5*time.Second, "feed position 6", func() bool { s, _ := store.Load(); return s == 6 })
	f.mu.Lock()
	first := f.afters[0]
	f.mu.Unlock()
	if first != 4 {
		t.Fatalf("feed resumed after %d, want 4", first)
	}
	n.get("/acme/cat.jpg?w=9&fm=png")
	n.srv.applyPurge(&PurgeRequest{Tenant: "acme", IDs: []string{"cat.jpg"}}, "push")
	if r := n.get("/acme/cat.jpg?w=9&fm=png"); r.h("X-Cache") != "MISS" {
		t.Fatalf("after purge: %q", r.h("X-Cache"))
	}
}

func TestLongPurgesAreSplitForGossip(t *testing.T) {
	p := PurgeRequest{Tenant: "acme", Prefix: "x/", Seq: 3}
	for i := 0; i < 200; i++ {
		p.IDs = append(p.IDs, fmt.Sprintf("photos/%03d.jpg", i))
	}
	p.Tags = []string{"a", "b"}
	msgs := broadcastMessages(&p)
	ids, tags, prefixes := map[string]bool{}, map[string]bool{}, 0
	for _, m := range msgs {
		if len(m) > maxBroadcastBytes {
			t.Fatalf("message of %d bytes", len(m))
		}
		var q PurgeRequest
		if err := json.Unmarshal(m[1:], &q); err != nil || q.Tenant != "acme" || q.Seq != 3 || q.Validate() != nil {
			t.Fatalf("bad part %s: %v", m, err)
		}
		for _, id := range q.IDs {
			ids[id] = true
		}
		for _, tg := range q.Tags {
			tags[tg] = true
		}
		if q.Prefix != "" {
			prefixes++
		}
	}
	if len(msgs) < 2 || len(ids) != 200 || len(tags) != 2 || prefixes < 1 {
		t.Fatalf("%d messages cover %d ids, %d tags, %d prefixes", len(msgs), len(ids), len(tags), prefixes)
	}
}

func TestStartCatchesUpBeforeServing(t *testing.T) {
	// A node caches a variant, then "restarts" (a second node on the same
	// cache and feed position) after the image changed: the change is
	// in the feed, slow to arrive. The restarted node must not serve the
	// old variant.
	before := newTestNode(t)
	const uri = "/acme/cat.jpg?w=9&fm=png"
	before.get(uri)
	if r := before.get(uri); r.h("X-Cache") != "HIT" {
		t.Fatalf("not cached: %q", r.h("X-Cache"))
	}
	store := eventfeed.FileSeq{Path: filepath.Join(t.TempDir(), "seq")}
	if err := store.Save(4); err != nil {
		t.Fatal(err)
	}
	f := &feed{delay: 300 * time.Millisecond, events: []Event{{Seq: 5, Tenant: "acme", PublicID: "cat.jpg", Kind: "updated"}}}
	after := newTestNode(t, func(_ *Config, d *Deps) { d.Cache, d.Events, d.FeedState = before.cache, f, store })
	if r := after.get(uri); r.code != 200 || r.h("X-Cache") != "MISS" {
		t.Fatalf("restarted node: %d %q, want a MISS: the change was in the feed", r.code, r.h("X-Cache"))
	}
	if s, _ := store.Load(); s != 5 {
		t.Fatalf("feed position %d after catching up, want 5", s)
	}
}

func TestStartDoesNotWaitLongForAnUnreachableFeed(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    *feed
	}{
		{"origin down", &feed{down: true}},
		{"origin hanging", &feed{delay: time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := eventfeed.FileSeq{Path: filepath.Join(t.TempDir(), "seq")}
			start := time.Now()
			n := newTestNode(t, func(c *Config, d *Deps) {
				c.CatchUpTimeout = 200 * time.Millisecond
				d.Events, d.FeedState = tc.f, store
			})
			if took := time.Since(start); took > 3*time.Second {
				t.Fatalf("Start took %v with CatchUpTimeout 200ms", took)
			}
			if r := n.get("/acme/cat.jpg?w=9&fm=png"); r.code != 200 {
				t.Fatalf("serving: %d", r.code)
			}
		})
	}
}

// A fill made between an event's first application here and its
// application on the peers may hold the old version (a hot copy of a peer's
// answer, an original from the owner's cache): the purge is applied once
// more settleAfter later, and only once.
func TestOriginEventPurgedOnceMoreAfterSettling(t *testing.T) {
	n := newTestNode(t)
	n.srv.settleAfter = 50 * time.Millisecond
	const url = "/acme/cat.jpg?w=3&fm=png"
	n.get(url)
	auth := []string{"Authorization", "Bearer purge-token"}
	if r := n.internalDo("POST", "/_purge", `{"tenant":"acme","ids":["cat.jpg"],"event":11}`, auth...); r.code != 200 {
		t.Fatalf("purge: %d %q", r.code, r.body)
	}
	if r := n.get(url); r.h("X-Cache") != "MISS" {
		t.Fatalf("after the purge: %q", r.h("X-Cache"))
	}
	deadline := time.Now().Add(5 * time.Second)
	for n.get(url).h("X-Cache") != "MISS" {
		if time.Now().After(deadline) {
			t.Fatal("the refilled variant was not purged again within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	for i := range 2 {
		if r := n.get(url); r.h("X-Cache") != "HIT" {
			t.Fatalf("GET %d after settling: %q, want the variant kept", i, r.h("X-Cache"))
		}
	}
}
