package edge

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"pixcdn/edge/peer"
)

const testSecret = "cluster-secret-0123456789"

// testNode is one edge Server on in-memory listeners.
type testNode struct {
	t        *testing.T
	srv      *Server
	cache    *memCache
	origin   *fakeOrigin
	codec    *fakeCodec
	public   *fasthttputil.InmemoryListener
	internal *fasthttputil.InmemoryListener
	client   *fasthttp.Client
	iclient  *fasthttp.Client
	clock    atomic.Pointer[time.Time]
}

type nodeOption func(*Config, *Deps)

// newTestNode starts a node with a fake origin holding acme/cat.jpg.
func newTestNode(t *testing.T, opts ...nodeOption) *testNode {
	t.Helper()
	n := &testNode{t: t, cache: newMemCache(), origin: newFakeOrigin(), codec: &fakeCodec{}}
	n.origin.put("acme", "cat.jpg", Original{
		Body: []byte(catJPEG), ETag: `"abc"`, ContentType: "image/jpeg", Version: 3,
		CacheControl: "public, max-age=60, stale-while-revalidate=30, stale-if-error=600",
		LastModified: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Visibility: "public", Tags: []string{"pets"},
	})
	cfg := DefaultConfig()
	cfg.ClusterSecret, cfg.PurgeToken = testSecret, "purge-token"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	deps := Deps{Cache: n.cache, Ring: selfRing{}, Origin: n.origin, Codec: n.codec}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	srv, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	n.clock.Store(&now)
	srv.now = func() time.Time { return *n.clock.Load() }
	n.srv = srv
	n.public, n.internal = fasthttputil.NewInmemoryListener(), fasthttputil.NewInmemoryListener()
	go srv.ServePublic(n.public)
	go srv.ServeInternal(n.internal)
	srv.Start()
	n.client = &fasthttp.Client{Dial: func(string) (net.Conn, error) { return n.public.Dial() }}
	n.iclient = &fasthttp.Client{Dial: func(string) (net.Conn, error) { return n.internal.Dial() }}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return n
}

func (n *testNode) advance(d time.Duration) {
	t := n.clock.Load().Add(d)
	n.clock.Store(&t)
}

// result is a response copied out of fasthttp.
type result struct {
	code    int
	body    string
	headers map[string]string
}

func (r result) h(name string) string { return r.headers[strings.ToLower(name)] }

// get sends a request; headers are name, value pairs.
func (n *testNode) do(c *fasthttp.Client, method, uri string, body string, headers ...string) result {
	n.t.Helper()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(method)
	req.Header.DisableNormalizing()
	req.SetRequestURI("http://edge" + uri)
	req.URI().DisablePathNormalizing = true
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if body != "" {
		req.SetBodyString(body)
	}
	if method == "HEAD" {
		resp.SkipBody = true
	}
	// Report only the headers sent: no Content-Type when none came.
	resp.Header.SetNoDefaultContentType(true)
	if err := c.DoTimeout(req, resp, 10*time.Second); err != nil {
		n.t.Fatalf("%s %s: %v", method, uri, err)
	}
	r := result{code: resp.StatusCode(), body: string(resp.Body()), headers: map[string]string{}}
	for k, v := range resp.Header.All() {
		r.headers[strings.ToLower(string(k))] = string(v)
	}
	return r
}

func (n *testNode) get(uri string, headers ...string) result {
	n.t.Helper()
	return n.do(n.client, "GET", uri, "", headers...)
}

func (n *testNode) internalDo(method, uri, body string, headers ...string) result {
	n.t.Helper()
	return n.do(n.iclient, method, uri, body, headers...)
}

var _ PeerClient = (*peer.Client)(nil)
