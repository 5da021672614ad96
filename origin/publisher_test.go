package origin_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pixcdn/origin"

	"pixcdn/contract"

	"pixcdn/internal/testenv"
)

// fakeEdge is a stand-in for an edge's internal /_purge (the seam under
// test is the origin's push): it refuses the first failures requests.
func fakeEdge(t *testing.T, failures int32) (*httptest.Server, <-chan contract.PurgeRequest) {
	got := make(chan contract.PurgeRequest, 16)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_purge" || r.Header.Get("Authorization") != "Bearer purge-tok" {
			t.Errorf("push to %s with %q", r.URL.Path, r.Header.Get("Authorization"))
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if calls.Add(1) <= failures {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var p contract.PurgeRequest
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &p); err != nil {
			t.Errorf("bad push body %s: %v", b, err)
		}
		got <- p
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestPublisherPushesEachEventWithRetries(t *testing.T) {
	h := newHarness(t)
	_, editor, _ := h.tenant("acme")
	edge, got := fakeEdge(t, 2)
	cfg := origin.DefaultPublisherConfig()
	cfg.Edges, cfg.PurgeToken, cfg.Backoff = []string{edge.URL}, "purge-tok", 10*time.Millisecond
	pub, err := origin.StartPublisher(testenv.Context(t), cfg, h.svc)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	h.mustDo(http.StatusCreated, "PUT", "/v1/acme/images/cats/tom.png", editor, bytes.NewReader(pngImage(t, 3, 3, 1)))
	h.mustDo(http.StatusAccepted, "POST", "/v1/acme/purge", editor, strings.NewReader(`{"tags":["summer"]}`))
	// Pushed at commit, before sequencing: no Seq yet, the outbox id instead.
	want := []string{`acme [cats/tom.png] [] "" 0`, `acme [] [summer] "" 0`}
	lastEvent := int64(0)
	for i, w := range want {
		select {
		case p := <-got:
			if s := sprintf("%s %v %v %q %d", p.Tenant, p.IDs, p.Tags, p.Prefix, p.Seq); s != w || p.At.IsZero() || p.Event <= lastEvent {
				t.Errorf("push %d = %s (event %d, at %v), want %s with an event id after %d", i, s, p.Event, p.At, w, lastEvent)
			}
			lastEvent = p.Event
		case <-time.After(15 * time.Second):
			t.Fatalf("push %d not delivered within 15s", i)
		}
	}
	// The feed carries the same ids, once both are sequenced (the
	// sequencer runs after the commit, so the first read may hold one).
	var evs []contract.Event
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if evs, err = h.svc.Events(testenv.Context(t), 0, time.Second); err != nil || len(evs) >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || len(evs) != 2 || evs[1].ID != lastEvent || evs[1].Seq == 0 {
		t.Errorf("feed = %+v, %v; want two sequenced events, the last with id %d", evs, err, lastEvent)
	}
	_, b := h.mustDo(http.StatusOK, "GET", "/metrics", "", nil)
	if !bytes.Contains(b, []byte(`pixcdn_origin_pushes_total{result="retry"} 2`)) {
		t.Errorf("metrics do not count 2 retries:\n%s", grepLines(b, "pixcdn_origin_pushes"))
	}
}

func grepLines(b []byte, substr string) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
