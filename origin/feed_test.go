package origin_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"pixcdn/origin/client"

	"pixcdn/contract"
)

// follower long-polls the feed through origin/client until it holds want
// events or the deadline passes.
func follow(t *testing.T, h *harness, key string, want int, deadline time.Duration) []contract.Event {
	t.Helper()
	c, err := client.New(client.Config{BaseURL: h.srv.URL, Key: key, Timeout: 5 * time.Second, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	var got []contract.Event
	after := int64(0)
	for len(got) < want && ctx.Err() == nil {
		evs, err := c.Events(ctx, after, 2*time.Second)
		if err != nil && ctx.Err() == nil {
			t.Fatalf("events: %v", err)
		}
		for _, ev := range evs {
			got = append(got, ev)
			after = ev.Seq
		}
	}
	return got
}

func TestFeedSeesEveryConcurrentChangeInOrder(t *testing.T) {
	h := newHarness(t)
	twoProcesses(t, h, h)
}

// TestFeedAcrossTwoOriginProcesses: writers spread over two origins sharing
// one database and bucket, each with its own sequencer and notifier.
func TestFeedAcrossTwoOriginProcesses(t *testing.T) {
	h := newHarness(t)
	twoProcesses(t, h, newHarnessOn(t, h.dsn, h.minio))
}

// twoProcesses (a may be b) runs 50 concurrent uploads and overwrites of 10 images,
// alternating between origins a and b, while a follower long-polls a: it
// must see every change exactly once, densely numbered, each image's
// versions in order.
func twoProcesses(t *testing.T, a, b *harness) {
	h := a
	_, editor, _ := h.tenant("acme")
	edge := h.systemKey("edge")
	const writers, ids = 50, 10
	var followed []contract.Event
	done := make(chan struct{})
	go func() { defer close(done); followed = follow(t, h, edge, writers, 90*time.Second) }()

	var wg sync.WaitGroup
	versions := make([]int64, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := fmt.Sprintf("/v1/acme/images/img-%d.png", i%ids)
			target := a
			if i%2 == 1 {
				target = b
			}
			code, _, b := target.do("PUT", path, editor, bytes.NewReader(pngImage(t, 16, 16, byte(i))))
			if code != http.StatusCreated && code != http.StatusOK {
				t.Errorf("PUT %s = %d %s", path, code, b)
				return
			}
			versions[i] = decodeImage(t, b).Version
		}()
	}
	wg.Wait()
	<-done
	checkFollowed(t, followed, versions, ids)
}

// checkFollowed asserts the follower saw each committed change (image
// i%ids at versions[i]) exactly once, densely numbered from 1, each image's
// versions increasing.
func checkFollowed(t *testing.T, followed []contract.Event, versions []int64, ids int) {
	writers := len(versions)
	if len(followed) != writers {
		t.Fatalf("follower saw %d events, want %d", len(followed), writers)
	}
	seen := map[string]bool{}
	lastVersion := map[string]int64{}
	for i, ev := range followed {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: feed is not dense and ordered", i, ev.Seq)
		}
		key := fmt.Sprintf("%s@%d", ev.PublicID, ev.Version)
		if seen[key] {
			t.Fatalf("duplicate event %s", key)
		}
		seen[key] = true
		if ev.Version <= lastVersion[ev.PublicID] {
			t.Fatalf("%s: version %d after %d", ev.PublicID, ev.Version, lastVersion[ev.PublicID])
		}
		lastVersion[ev.PublicID] = ev.Version
		if ev.Kind != "updated" || ev.Tenant != "acme" || ev.At.IsZero() {
			t.Fatalf("event %+v", ev)
		}
	}
	for i, v := range versions {
		if key := fmt.Sprintf("img-%d.png@%d", i%ids, v); !seen[key] {
			t.Errorf("committed change %s missing from the feed", key)
		}
	}
}

func TestFeedEventKinds(t *testing.T) {
	h := newHarness(t)
	_, editor, _ := h.tenant("acme")
	h.mustDo(http.StatusCreated, "PUT", "/v1/acme/images/a.png", editor, bytes.NewReader(pngImage(t, 3, 3, 1)))
	h.mustDo(http.StatusOK, "PATCH", "/v1/acme/images/a.png", editor, bytes.NewReader([]byte(`{"tags":["t1"]}`)))
	h.mustDo(http.StatusOK, "PATCH", "/v1/acme/images/a.png", editor, bytes.NewReader([]byte(`{"visibility":"signed","metadata":{"k":"v"}}`)))
	h.mustDo(http.StatusAccepted, "POST", "/v1/acme/purge", editor, bytes.NewReader([]byte(`{"tags":["t1"]}`)))
	h.mustDo(http.StatusAccepted, "POST", "/v1/acme/purge", editor, bytes.NewReader([]byte(`{"prefix":"a"}`)))
	h.mustDo(http.StatusBadRequest, "POST", "/v1/acme/purge", editor, bytes.NewReader([]byte(`{"prefix":"a","tags":["x"]}`)))
	h.mustDo(http.StatusNoContent, "DELETE", "/v1/acme/images/a.png", editor, nil)
	evs := follow(t, h, adminKey, 5, 30*time.Second)
	want := []string{"updated a.png 1", "visibility a.png 1", "purge-tag  0 [t1]", "purge-prefix  0 a", "deleted a.png 1"}
	if len(evs) != len(want) {
		t.Fatalf("got %d events %+v, want %d", len(evs), evs, len(want))
	}
	for i, ev := range evs {
		got := fmt.Sprintf("%s %s %d", ev.Kind, ev.PublicID, ev.Version)
		switch ev.Kind {
		case "purge-tag":
			got += fmt.Sprintf(" %v", ev.Tags)
		case "purge-prefix":
			got += " " + ev.Prefix
		}
		if got != want[i] {
			t.Errorf("event %d = %q, want %q", i, got, want[i])
		}
	}
	h.mustDo(http.StatusNotFound, "GET", "/v1/acme/images/a.png", editor, nil)
	h.mustDo(http.StatusNotFound, "GET", "/v1/acme/originals/a.png", editor, nil)
}

func TestLongPollWaitsAndWakes(t *testing.T) {
	h := newHarness(t)
	_, editor, _ := h.tenant("acme")
	start := time.Now()
	_, b := h.mustDo(http.StatusOK, "GET", "/v1/events?after=0&wait=300ms", adminKey, nil)
	if waited := time.Since(start); waited < 250*time.Millisecond || !bytes.Contains(b, []byte(`"events":[]`)) {
		t.Fatalf("empty long poll returned after %v with %s", waited, b)
	}
	got := make(chan []byte, 1)
	go func() {
		_, _, b := h.do("GET", "/v1/events?after=0&wait=20s", adminKey, nil)
		got <- b
	}()
	h.mustDo(http.StatusCreated, "PUT", "/v1/acme/images/a.png", editor, bytes.NewReader(pngImage(t, 3, 3, 1)))
	select {
	case b := <-got:
		if !bytes.Contains(b, []byte(`"public_id":"a.png"`)) {
			t.Fatalf("long poll woke with %s", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("long poll not woken by a commit within 10s")
	}
}
