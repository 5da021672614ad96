package internalport

import (
	"errors"
	"net"
	"testing"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

const secret, token = "cluster-secret-0123456789", "purge-token"

// fakeNode records what the port asked of it.
type fakeNode struct {
	notReady  string
	variantOf string // request URI a peer variant was served with
	originals int
	purged    []string
}

func (n *fakeNode) NotReady() string { return n.notReady }
func (n *fakeNode) ServePeerVariant(ctx *fasthttp.RequestCtx) {
	n.variantOf = string(ctx.Request.Header.RequestURI())
}
func (n *fakeNode) ServePeerOriginal(*fasthttp.RequestCtx) { n.originals++ }
func (n *fakeNode) Purge(body []byte) error {
	if string(body) == "bad" {
		return errors.New("no tenant")
	}
	n.purged = append(n.purged, string(body))
	return nil
}
func (n *fakeNode) Status(cluster bool) []byte {
	if cluster {
		return []byte(`{"members":3}`)
	}
	return []byte(`{"node":"a"}`)
}
func (n *fakeNode) Metrics(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("metrics") }

func start(t *testing.T, profiling bool) (*fakeNode, func(method, uri, body string, headers ...string) (int, string, *fasthttp.ResponseHeader)) {
	t.Helper()
	n := &fakeNode{}
	ln := fasthttputil.NewInmemoryListener()
	srv := NewServer(Config{ClusterSecret: secret, PurgeToken: token, Profiling: profiling}, n)
	go srv.Serve(ln) //nolint:errcheck // ends with the listener
	t.Cleanup(func() { ln.Close() })
	c := &fasthttp.Client{Dial: func(string) (net.Conn, error) { return ln.Dial() }}
	return n, func(method, uri, body string, headers ...string) (int, string, *fasthttp.ResponseHeader) {
		req, resp := fasthttp.AcquireRequest(), &fasthttp.Response{}
		defer fasthttp.ReleaseRequest(req)
		req.Header.SetMethod(method)
		req.SetRequestURI("http://internal" + uri)
		req.SetBodyString(body)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		if err := c.Do(req, resp); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode(), string(resp.Body()), &resp.Header
	}
}

func TestPeerEndpointsNeedTheClusterSecret(t *testing.T) {
	n, do := start(t, false)
	for _, p := range []string{"/_peer/v/acme/cat.jpg?w=1", "/_peer/o/acme/cat.jpg"} {
		if code, _, h := do("GET", p, ""); code != 401 || string(h.Peek("Content-Security-Policy")) != plainCSP {
			t.Errorf("%s without the secret: %d", p, code)
		}
		if code, _, _ := do("GET", p, "", "Authorization", "Bearer wrong"); code != 401 {
			t.Errorf("%s with a wrong secret: %d", p, code)
		}
	}
	if n.variantOf != "" || n.originals != 0 {
		t.Fatalf("the node served unauthenticated peers: %q %d", n.variantOf, n.originals)
	}
	do("GET", "/_peer/v/acme/cat.jpg?w=1", "", "Authorization", "Bearer "+secret)
	do("GET", "/_peer/o/acme/cat.jpg", "", "Authorization", "Bearer "+secret)
	if n.variantOf != "/acme/cat.jpg?w=1" || n.originals != 1 {
		t.Fatalf("peer requests: variant URI %q, originals %d", n.variantOf, n.originals)
	}
}

func TestPurgesNeedPostAndTheToken(t *testing.T) {
	n, do := start(t, false)
	cases := []struct {
		method, body, auth string
		code               int
	}{
		{"GET", `{"tenant":"acme","all":true}`, "Bearer " + token, 405},
		{"POST", `{"tenant":"acme","all":true}`, "", 401},
		{"POST", `{"tenant":"acme","all":true}`, "Bearer " + secret, 401},
		{"POST", "bad", "Bearer " + token, 400},
		{"POST", `{"tenant":"acme","all":true}`, "Bearer " + token, 200},
	}
	for _, c := range cases {
		if code, body, _ := do(c.method, "/_purge", c.body, "Authorization", c.auth); code != c.code {
			t.Errorf("%s %q with %q: %d %q, want %d", c.method, c.body, c.auth, code, body, c.code)
		}
	}
	if len(n.purged) != 1 {
		t.Fatalf("purges applied: %q", n.purged)
	}
}

func TestHealthReadinessStatusAndPage(t *testing.T) {
	n, do := start(t, false)
	if code, _, _ := do("GET", "/healthz", ""); code != 200 {
		t.Errorf("healthz: %d", code)
	}
	n.notReady = "starting"
	if code, body, _ := do("GET", "/readyz", ""); code != 503 || body != "starting\n" {
		t.Errorf("readyz while starting: %d %q", code, body)
	}
	n.notReady = ""
	if code, _, _ := do("GET", "/readyz", ""); code != 200 {
		t.Errorf("readyz: %d", code)
	}
	if _, body, h := do("GET", "/_cluster", ""); body != `{"node":"a"}` || string(h.ContentType()) != "application/json" {
		t.Errorf("status: %q %q", body, h.ContentType())
	}
	if _, body, _ := do("GET", "/_cluster?scope=cluster", ""); body != `{"members":3}` {
		t.Errorf("cluster status: %q", body)
	}
	code, page, h := do("GET", "/_cluster", "", "Accept", "text/html")
	if code != 200 || string(h.Peek("Content-Security-Policy")) != ClusterPageCSP || len(page) < 100 {
		t.Errorf("page: %d %q", code, h.Peek("Content-Security-Policy"))
	}
	if code, _, _ := do("GET", "/_cluster/other.js", ""); code != 404 {
		t.Errorf("a file not of the page: %d", code)
	}
	if _, body, _ := do("GET", "/metrics", ""); body != "metrics" {
		t.Errorf("metrics: %q", body)
	}
}

func TestProfilerIsOffOrBehindTheSecret(t *testing.T) {
	_, off := start(t, false)
	if code, _, _ := off("GET", "/debug/pprof/cmdline", "", "Authorization", "Bearer "+secret); code != 404 {
		t.Errorf("profiling off: %d", code)
	}
	_, on := start(t, true)
	if code, _, _ := on("GET", "/debug/pprof/cmdline", ""); code != 401 {
		t.Errorf("profiling on, no secret: %d", code)
	}
	if code, _, _ := on("GET", "/debug/pprof/cmdline", "", "Authorization", "Bearer "+secret); code != 200 {
		t.Errorf("profiling on, with the secret: %d", code)
	}
}
