package edge

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pixcdn/edge/eventfeed"
	"pixcdn/edge/imgurl"
	"pixcdn/edge/peer"
)

// fixedRing says that owner owns every key.
type fixedRing struct {
	owner Peer
	self  bool
}

func (r fixedRing) Owner([]byte) (Peer, bool) { return r.owner, r.self }
func (r fixedRing) Members() []Peer           { return []Peer{r.owner} }

// memPeerClient is a peer client named name dialling over mn.
func memPeerClient(t *testing.T, mn *memNet, name string) *peer.Client {
	t.Helper()
	cfg := peer.DefaultConfig()
	cfg.Secret, cfg.Self, cfg.Dial = testSecret, name, mn.dial
	c, err := peer.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// twoNodes starts node a (non-owner) and node b (owner of every key), with
// real peer clients over in-memory listeners. Both share one origin; opts
// apply to both.
func twoNodes(t *testing.T, opts ...nodeOption) (a, b *testNode) {
	t.Helper()
	mn := &memNet{lns: map[string]interface{ Dial() (net.Conn, error) }{}}
	client := func(name string) *peer.Client { return memPeerClient(t, mn, name) }
	owner := Peer{Name: "b", InternalAddr: "b:9"}
	b = newTestNode(t, append(opts, func(_ *Config, d *Deps) { d.Ring, d.Peers = fixedRing{owner: owner, self: true}, client("b") })...)
	a = newTestNode(t, append(opts, func(_ *Config, d *Deps) {
		d.Ring, d.Peers, d.Origin = fixedRing{owner: owner}, client("a"), b.origin
	})...)
	mn.lns["b:9"] = b.internal
	mn.lns["a:9"] = a.internal
	return a, b
}

func TestForwardToOwner(t *testing.T) {
	a, b := twoNodes(t)
	r := a.get("/acme/cat.jpg?w=40", "Accept", "image/webp")
	if r.code != 200 || r.h("X-Cache") != "PEER" || r.body != catJPEG+"|w=40|webp" || r.h("Vary") != "Accept" {
		t.Fatalf("forwarded: %d %+v %q", r.code, r.headers, r.body)
	}
	etag := r.h("ETag")
	if r := a.get("/acme/cat.jpg?w=40", "Accept", "image/webp", "If-None-Match", etag); r.code != 304 {
		t.Fatalf("forwarded conditional: %d", r.code)
	}
	if r := a.do(a.client, "HEAD", "/acme/cat.jpg?w=40", "", "Accept", "image/webp"); r.code != 200 || r.h("Content-Length") != strconv.Itoa(len(catJPEG+"|w=40|webp")) {
		t.Fatalf("forwarded HEAD: %d %+v", r.code, r.headers)
	}
	if a.codec.transforms.Load() != 0 || b.codec.transforms.Load() != 1 || b.origin.fetches.Load() != 1 {
		t.Fatalf("transforms a=%d b=%d, fetches %d", a.codec.transforms.Load(), b.codec.transforms.Load(), b.origin.fetches.Load())
	}
	if r := a.get("/acme/ghost.jpg?w=1"); r.code != 404 {
		t.Fatalf("forwarded 404: %d", r.code)
	}
}

func TestPeerEndpointsNeedSecret(t *testing.T) {
	_, b := twoNodes(t)
	for _, p := range []string{"/_peer/v/acme/cat.jpg", "/_peer/o/acme/cat.jpg"} {
		if r := b.internalDo("GET", p, ""); r.code != 401 {
			t.Errorf("%s without secret: %d", p, r.code)
		}
		if r := b.internalDo("GET", p, "", "Authorization", "Bearer wrong-secret-0123456789"); r.code != 401 {
			t.Errorf("%s with wrong secret: %d", p, r.code)
		}
	}
	if r := b.internalDo("GET", "/_peer/o/acme/cat.jpg", "", "Authorization", "Bearer "+testSecret); r.code != 200 || r.body != catJPEG {
		t.Errorf("original with secret: %d %q", r.code, r.body)
	}
}

func TestOwnerDownFallsBackLocally(t *testing.T) {
	a, b := twoNodes(t)
	b.internal.Close()
	r := a.get("/acme/cat.jpg?w=41&fm=png")
	if r.code != 200 || r.h("X-Cache") != "MISS" || r.body != catJPEG+"|w=41|png" {
		t.Fatalf("fallback: %d %+v", r.code, r.headers)
	}
	if got := counterValue(t, a.srv.metrics.forwards); got < 2 { // variant forward + original fetch
		t.Fatalf("forward fallbacks = %v", got)
	}
}

// Profiling is off by default and, when on, only for the cluster secret:
// /debug/pprof/cmdline shows every secret given as a flag.
func TestPprofNeedsProfilingAndTheClusterSecret(t *testing.T) {
	n := newTestNode(t, func(c *Config, _ *Deps) { c.Profiling = true })
	if r := n.internalDo("GET", "/debug/pprof/cmdline", ""); r.code != 401 || strings.Contains(r.body, "secret") {
		t.Fatalf("pprof without the secret: %d %q", r.code, r.body)
	}
	if r := n.internalDo("GET", "/debug/pprof/cmdline", "", "Authorization", "Bearer wrong-secret-0123456789"); r.code != 401 {
		t.Fatalf("pprof with a wrong secret: %d", r.code)
	}
	if r := n.internalDo("GET", "/debug/pprof/", "", "Authorization", "Bearer "+testSecret); r.code != 200 {
		t.Fatalf("pprof with the secret: %d", r.code)
	}
}

func TestInternalEndpoints(t *testing.T) {
	n := newTestNode(t)
	n.get("/acme/cat.jpg?w=1&fm=png")
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/_cluster": 200, "/nope": 404, "/debug/pprof/": 404} {
		if r := n.internalDo("GET", path, ""); r.code != want {
			t.Errorf("%s: %d, want %d", path, r.code, want)
		}
	}
	if r := n.internalDo("GET", "/_cluster", "", "Accept", "text/html"); r.code != 200 || r.h("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("/_cluster HTML: %d %q", r.code, r.h("Content-Type"))
	}
	m := n.internalDo("GET", "/metrics", "")
	for _, name := range []string{
		"pixcdn_requests_total", "pixcdn_request_duration_seconds", "pixcdn_transforms_total",
		"pixcdn_transform_duration_seconds", "pixcdn_origin_fetches_total", "pixcdn_cluster_members",
		"pixcdn_cache_bytes", "pixcdn_cache_entries", "pixcdn_cache_evictions_total", "pixcdn_cache_purge_scopes",
		"pixcdn_connections_refused_total", "go_goroutines", "go_memstats_heap_inuse_bytes", "process_resident_memory_bytes", "process_open_fds",
	} {
		if !contains(m.body, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if !contains(m.body, `pixcdn_requests_total{cache="miss",code="200"} 1`) {
		t.Errorf("request counter missing:\n%s", m.body)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestHotCopyOnNonOwner(t *testing.T) {
	a, b := twoNodes(t)
	const uri = "/acme/cat.jpg?w=60&fm=png"
	for i, want := range []string{"PEER", "PEER", "HIT", "HIT"} {
		if r := a.get(uri); r.code != 200 || r.h("X-Cache") != want || r.body != catJPEG+"|w=60|png" {
			t.Fatalf("request %d: %d X-Cache %q, want %q", i, r.code, r.h("X-Cache"), want)
		}
	}
	if r := a.get(uri); r.h("Pixcdn-Tags") != "" || r.h("Pixcdn-Visibility") != "" {
		t.Fatalf("internal headers leaked: %+v", r.headers)
	}
	a.srv.applyPurge(&PurgeRequest{Tenant: "acme", Tags: []string{"pets"}}, "gossip")
	if r := a.get(uri); r.h("X-Cache") != "PEER" {
		t.Fatalf("after a tag purge: X-Cache %q", r.h("X-Cache"))
	}
	a.advance(11 * time.Second) // past the hot TTL
	a.get(uri)
	if r := a.get(uri); r.h("X-Cache") != "HIT" {
		t.Fatalf("re-admitted: %q", r.h("X-Cache"))
	}
	a.advance(11 * time.Second)
	if r := a.get(uri); r.h("X-Cache") != "PEER" {
		t.Fatalf("hot copy outlived its TTL: %q", r.h("X-Cache"))
	}
	_ = b
}

func TestNoHotCopyOfSignedImages(t *testing.T) {
	key := []byte("sign-key-0123456789abcdef")
	a, b := twoNodes(t)
	for _, n := range []*testNode{a, b} {
		n.srv.parser, _ = imgurl.New(imgurl.Config{SignKeys: [][]byte{key}})
	}
	b.origin.put("acme", "s.jpg", Original{Body: []byte(fakeJPEG("S")), ETag: `"s"`, Visibility: "signed"})
	signed := imgurl.SignURL(key, "/acme/s.jpg", "w=5&fm=png")
	for i := 0; i < 4; i++ {
		if r := a.get(signed); r.code != 200 || r.h("X-Cache") != "PEER" {
			t.Fatalf("signed request %d: %d %q", i, r.code, r.h("X-Cache"))
		}
	}
	if r := a.get("/acme/s.jpg?w=5&fm=png"); r.code != 403 {
		t.Fatalf("unsigned request for a signed image: %d", r.code)
	}
}

// TestPeersBehindAnOriginEventAreNotTrusted: a node that has applied an
// origin event never takes the old version from a peer that has not yet
// (here the owner b, whose feed is slow), neither a forwarded variant nor
// an original; once b has applied the event, a forwards to it again.
func TestPeersBehindAnOriginEventAreNotTrusted(t *testing.T) {
	withFeed := func(_ *Config, d *Deps) {
		d.Events, d.FeedState = &feed{}, eventfeed.FileSeq{Path: filepath.Join(t.TempDir(), "seq")}
	}
	a, b := twoNodes(t, withFeed)
	if r := a.get("/acme/cat.jpg?w=40&fm=png"); r.code != 200 || r.h("X-Cache") != "PEER" || r.body != catJPEG+"|w=40|png" {
		t.Fatalf("warm-up through the owner: %d %q %q", r.code, r.h("X-Cache"), r.body)
	}
	newer := fakeJPEG("NEWCAT")
	b.origin.put("acme", "cat.jpg", Original{Body: []byte(newer), ETag: `"def"`, ContentType: "image/jpeg", Version: 4,
		CacheControl: "public, max-age=60", Visibility: "public"})
	event := PurgeRequest{Tenant: "acme", IDs: []string{"cat.jpg"}, Event: 70, Seq: 7, At: time.Now()}
	a.srv.applyPurge(&event, "push") // b has not applied it

	r := a.get("/acme/cat.jpg?w=40&fm=png")
	if r.code != 200 || r.body != newer+"|w=40|png" || r.h("X-Cache") == "PEER" {
		t.Fatalf("after the event, while the owner lags: %d %q %q", r.code, r.h("X-Cache"), r.body)
	}
	if r := a.get("/acme/cat.jpg"); r.code != 200 || r.body != newer {
		t.Fatalf("original after the event, while the owner lags: %d %q %q", r.code, r.h("X-Cache"), r.body)
	}

	b.srv.applyPurge(&event, "push")
	b.srv.feed.advance(7)
	if r := a.get("/acme/cat.jpg?w=41&fm=png"); r.code != 200 || r.h("X-Cache") != "PEER" || r.body != newer+"|w=41|png" {
		t.Fatalf("once the owner has applied the event: %d %q %q", r.code, r.h("X-Cache"), r.body)
	}
}
