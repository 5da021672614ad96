package edge

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

const wantCSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

// rawExchange sends raw (a whole HTTP/1.1 request, or bytes that are not
// one) on conn and parses the answer with net/http, which keeps repeated
// header fields apart. method tells the parser whether a body follows.
func rawExchange(t *testing.T, conn net.Conn, method, raw string) *http.Response {
	t.Helper()
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatalf("write: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("read answer to %.60q: %v", raw, err)
	}
	resp.Body.Close()
	return resp
}

// checkSecurityHeaders fails unless h carries the CSP and nosniff exactly
// once each.
func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	if got := h.Values("Content-Security-Policy"); len(got) != 1 || got[0] != wantCSP {
		t.Errorf("%s: Content-Security-Policy %q, want once %q", what, got, wantCSP)
	}
	if got := h.Values("X-Content-Type-Options"); len(got) != 1 || got[0] != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q, want once nosniff", what, got)
	}
}

// checkCrossOriginHeaders fails unless h carries, once each, the grants
// that let the web console (another origin) read an image's format, bytes
// and cache result.
func checkCrossOriginHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	for name, want := range map[string]string{
		"Access-Control-Allow-Origin":   "*",
		"Access-Control-Expose-Headers": "X-Cache, Age, ETag, Server-Timing",
		"Timing-Allow-Origin":           "*",
	} {
		if got := h.Values(name); len(got) != 1 || got[0] != want {
			t.Errorf("%s: %s %q, want once %q", what, name, got, want)
		}
	}
}

func TestValCSPIsThePolicyOfTheIssue(t *testing.T) {
	if string(valCSP) != wantCSP {
		t.Fatalf("valCSP = %q, want %q", valCSP, wantCSP)
	}
}

// TestEveryPublicResponseForbidsScript: whatever the public port answers
// (a miss, a hit, an L0 template hit, a 304, an original, HEAD, each error
// the handler writes, and fasthttp's answers to requests it cannot read),
// the answer carries the CSP and nosniff exactly once, and the cross-origin
// grants the web console needs.
func TestEveryPublicResponseForbidsScript(t *testing.T) {
	n := newTestNode(t)
	n.origin.put("acme", "evil.svg", Original{
		Body: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
		ETag: `"svg"`, ContentType: "image/svg+xml",
	})
	n.origin.put("acme", "broken.jpg", Original{Body: []byte("\xff\xd8\xffbroken"), ETag: `"b"`, ContentType: "image/jpeg"})
	n.origin.put("acme", "signed.jpg", Original{Body: []byte(fakeJPEG("S")), ETag: `"s"`, Visibility: "signed"})
	get := func(uri string, headers ...string) string {
		return "GET " + uri + " HTTP/1.1\r\nHost: edge\r\n" + strings.Join(headers, "") + "Connection: close\r\n\r\n"
	}
	const variant = "/acme/cat.jpg?w=100&fm=webp"
	cases := []struct {
		name, method, raw string
		code              int
		setup             func()
		check             func(*http.Response) string // "" when the answer is as expected
	}{
		{name: "variant miss", raw: get(variant), code: 200, check: xcache("MISS")},
		{name: "variant cache hit", raw: get(variant), code: 200, check: xcache("HIT")},
		{name: "variant L0 template hit", raw: get(variant), code: 200, check: fromL0Template},
		{name: "L0 template 304", raw: get(variant, "If-None-Match: *\r\n"), code: 304, check: fromL0Template},
		{name: "miss 304", raw: get("/acme/cat.jpg?w=101&fm=webp", "If-None-Match: *\r\n"), code: 304, check: xcache("MISS")},
		{name: "original", raw: get("/acme/cat.jpg"), code: 200},
		{name: "original HEAD", method: "HEAD", raw: "HEAD /acme/cat.jpg HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n", code: 200},
		{name: "bad option", raw: get("/acme/cat.jpg?w=abc"), code: 400},
		{name: "signature missing", raw: get("/acme/signed.jpg"), code: 403},
		{name: "unknown image", raw: get("/acme/nope.jpg"), code: 404},
		{name: "method", raw: "POST /acme/cat.jpg HTTP/1.1\r\nHost: edge\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", code: 405},
		{name: "URL too long", raw: get("/acme/cat.jpg?w=1&x=" + strings.Repeat("a", 3000)), code: 414},
		{name: "SVG original", raw: get("/acme/evil.svg"), code: 415},
		{name: "broken original", raw: get("/acme/broken.jpg"), code: 422},
		{name: "protocol error", raw: "NOT HTTP AT ALL\r\n\r\n", code: 400},
		{name: "request body too large", raw: "POST /acme/cat.jpg HTTP/1.1\r\nHost: edge\r\nContent-Length: 4096\r\n\r\n" + strings.Repeat("x", 4096), code: 413},
		{name: "request header too large", raw: get("/acme/cat.jpg", "X-Big: "+strings.Repeat("b", 9000)+"\r\n"), code: 431},
		{name: "overloaded", raw: get("/acme/cat.jpg?w=102&fm=webp"), code: 503, setup: func() { n.codec.overloaded.Store(true) }},
		{name: "origin down", raw: get("/acme/dog.jpg"), code: 502, setup: func() { n.origin.fail.Store(true) }},
	}
	for _, c := range cases {
		if c.setup != nil {
			c.setup()
		}
		conn, err := n.public.Dial()
		if err != nil {
			t.Fatal(err)
		}
		method := c.method
		if method == "" {
			method = "GET"
		}
		resp := rawExchange(t, conn, method, c.raw)
		if resp.StatusCode != c.code {
			t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.code)
		}
		if c.check != nil {
			if msg := c.check(resp); msg != "" {
				t.Errorf("%s: %s", c.name, msg)
			}
		}
		checkSecurityHeaders(t, c.name, resp.Header)
		checkCrossOriginHeaders(t, c.name, resp.Header)
	}
}

func xcache(want string) func(*http.Response) string {
	return func(r *http.Response) string {
		if got := r.Header.Get("X-Cache"); got != want {
			return "X-Cache " + got + ", want " + want
		}
		return ""
	}
}

// fromL0Template tells an L0 template hit by its Server-Timing, which has
// no duration.
func fromL0Template(r *http.Response) string {
	if got := r.Header.Get("Server-Timing"); got != string(valServerTimingL0) {
		return "Server-Timing " + got + ": not answered from an L0 template"
	}
	return ""
}

// TestForwardedResponsesForbidScript: an answer relayed from the owner
// carries this node's CSP and cross-origin grants, once.
func TestForwardedResponsesForbidScript(t *testing.T) {
	a, _ := twoNodes(t)
	for _, uri := range []string{"/acme/cat.jpg?w=40&fm=webp", "/acme/cat.jpg", "/acme/nope.jpg?w=1"} {
		conn, err := a.public.Dial()
		if err != nil {
			t.Fatal(err)
		}
		resp := rawExchange(t, conn, "GET", "GET "+uri+" HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n")
		if uri != "/acme/nope.jpg?w=1" && resp.Header.Get("X-Cache") != "PEER" {
			t.Errorf("%s: X-Cache %q, want PEER", uri, resp.Header.Get("X-Cache"))
		}
		checkSecurityHeaders(t, uri, resp.Header)
		checkCrossOriginHeaders(t, uri, resp.Header)
	}
}

// TestConnectionRefusalForbidsScript: the 429 of the per-address
// connection cap carries the same policy.
func TestConnectionRefusalForbidsScript(t *testing.T) {
	addr := tcpNode(t, func(c *Config) { c.Limits.MaxConnsPerIP = 1 })
	first, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	const req = "GET /acme/cat.jpg HTTP/1.1\r\nHost: x\r\n\r\n"
	if got := statusOf(t, first, req); got != "HTTP/1.1 200 OK" {
		t.Fatalf("first connection: %q", got)
	}
	second, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	resp := rawExchange(t, second, "GET", req)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second connection from one address: %d, want 429", resp.StatusCode)
	}
	checkSecurityHeaders(t, "429", resp.Header)
}
