package edge

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMissThenHitHeaders(t *testing.T) {
	n := newTestNode(t)
	miss := n.get("/acme/cat.jpg?w=100&fm=webp")
	if miss.code != 200 || miss.h("X-Cache") != "MISS" || miss.body != catJPEG+"|w=100|webp" {
		t.Fatalf("miss: %+v", miss)
	}
	n.advance(2 * time.Second)
	hit := n.get("/acme/cat.jpg?fm=webp&w=100")
	want := map[string]string{
		"X-Cache": "HIT", "Content-Type": "image/webp", "ETag": miss.h("ETag"),
		"Cache-Control":          "public, max-age=60, stale-while-revalidate=30, stale-if-error=600",
		"Last-Modified":          "Fri, 02 Jan 2026 03:04:05 GMT",
		"X-Content-Type-Options": "nosniff", "Age": "2", "Vary": "",
	}
	for k, v := range want {
		if hit.h(k) != v {
			t.Errorf("%s = %q, want %q", k, hit.h(k), v)
		}
	}
	if !strings.HasPrefix(miss.h("ETag"), `"3-`) || !strings.HasPrefix(hit.h("Server-Timing"), "edge;desc=hit;dur=") {
		t.Errorf("ETag %q, Server-Timing %q", miss.h("ETag"), hit.h("Server-Timing"))
	}
	if f, tr := n.origin.fetches.Load(), n.codec.transforms.Load(); f != 1 || tr != 1 {
		t.Errorf("origin fetches %d, transforms %d; want 1, 1", f, tr)
	}
}

func TestOriginalServedAsIs(t *testing.T) {
	n := newTestNode(t)
	r := n.get("/acme/cat.jpg")
	if r.code != 200 || r.body != catJPEG || r.h("ETag") != `"abc"` || r.h("Content-Type") != "image/jpeg" || r.h("Vary") != "" {
		t.Fatalf("original: %+v", r)
	}
	// A new size of a known image costs no origin fetch.
	n.get("/acme/cat.jpg?w=10&fm=png")
	if f := n.origin.fetches.Load(); f != 1 {
		t.Fatalf("origin fetches = %d, want 1", f)
	}
}

func TestNegotiationVaryAndKeys(t *testing.T) {
	n := newTestNode(t)
	webp := n.get("/acme/cat.jpg?w=100", "Accept", "image/avif,image/webp,*/*")
	jpeg := n.get("/acme/cat.jpg?w=100", "Accept", "image/jpeg")
	if webp.h("Vary") != "Accept" || jpeg.h("Vary") != "Accept" {
		t.Fatalf("Vary: %q %q", webp.h("Vary"), jpeg.h("Vary"))
	}
	if webp.h("Content-Type") != "image/webp" || jpeg.h("Content-Type") != "image/jpeg" || webp.h("ETag") == jpeg.h("ETag") {
		t.Fatalf("negotiated: %+v / %+v", webp.headers, jpeg.headers)
	}
	again := n.get("/acme/cat.jpg?w=100", "Accept", "image/webp")
	if again.h("X-Cache") != "HIT" {
		t.Fatalf("same negotiated format, different Accept spelling: %q", again.h("X-Cache"))
	}
	if tr := n.codec.transforms.Load(); tr != 2 {
		t.Fatalf("transforms = %d, want 2", tr)
	}
}

func TestConditionalRequests(t *testing.T) {
	n := newTestNode(t)
	first := n.get("/acme/cat.jpg?w=50&fm=png")
	etag := first.h("ETag")
	weak := "W/" + etag
	cases := []struct {
		name    string
		headers []string
		code    int
	}{
		{"exact", []string{"If-None-Match", etag}, 304},
		{"list", []string{"If-None-Match", `"x", ` + etag + `, "y"`}, 304},
		{"weak", []string{"If-None-Match", weak}, 304},
		{"star", []string{"If-None-Match", "*"}, 304},
		{"mismatch", []string{"If-None-Match", `"nope"`}, 200},
		{"ims-later", []string{"If-Modified-Since", "Sat, 03 Jan 2026 00:00:00 GMT"}, 304},
		{"ims-equal", []string{"If-Modified-Since", "Fri, 02 Jan 2026 03:04:05 GMT"}, 304},
		{"ims-earlier", []string{"If-Modified-Since", "Thu, 01 Jan 2026 00:00:00 GMT"}, 200},
		{"inm-wins", []string{"If-None-Match", `"nope"`, "If-Modified-Since", "Sat, 03 Jan 2026 00:00:00 GMT"}, 200},
		{"bad-date", []string{"If-Modified-Since", "yesterday"}, 200},
	}
	for _, c := range cases {
		r := n.get("/acme/cat.jpg?w=50&fm=png", c.headers...)
		if r.code != c.code {
			t.Errorf("%s: status %d, want %d", c.name, r.code, c.code)
		}
		if c.code == 304 && (r.body != "" || r.h("ETag") != etag || r.h("Cache-Control") == "") {
			t.Errorf("%s: 304 must carry validators and no body: %+v", c.name, r)
		}
	}
	if f, tr := n.origin.fetches.Load(), n.codec.transforms.Load(); f != 1 || tr != 1 {
		t.Errorf("conditional requests touched origin/transform: %d, %d", f, tr)
	}
}

func TestHead(t *testing.T) {
	n := newTestNode(t)
	r := n.do(n.client, "HEAD", "/acme/cat.jpg?w=7&fm=gif", "")
	want := len(catJPEG + "|w=7|gif")
	if r.code != 200 || r.body != "" || r.h("Content-Length") != strconv.Itoa(want) || r.h("ETag") == "" {
		t.Fatalf("HEAD: %+v", r)
	}
}

func TestEquivalentURLsShareOneVariant(t *testing.T) {
	n := newTestNode(t)
	for _, q := range []string{"w=10&h=20&fm=png", "h=20&fm=png&w=10", "fm=png&w=10&h=20&"} {
		n.get("/acme/cat.jpg?" + q)
	}
	if tr := n.codec.transforms.Load(); tr != 1 {
		t.Fatalf("transforms = %d, want 1", tr)
	}
}

func TestErrors(t *testing.T) {
	n := newTestNode(t)
	long := "/acme/cat.jpg?w=1&x=" + strings.Repeat("a", 3000)
	cases := []struct {
		method, uri string
		code        int
		body        string
	}{
		{"GET", "/acme/cat.jpg?w=abc", 400, "w: must be an integer"},
		{"GET", "/acme/cat.jpg?zz=1", 400, "zz"},
		{"GET", "/acme/cat.jpg?w=1&w=2", 400, "w: given twice"},
		{"GET", "/acme/nope.jpg?w=1", 404, "image not found"},
		{"GET", "/acme/../secret", 404, "not found"},
		{"GET", "/acme/%252e%252e", 400, "bad image id"},
		{"GET", "/acme/%FF%FE?w=1", 400, "bad image id"},
		{"GET", "/acme", 404, "not found"},
		{"POST", "/acme/cat.jpg", 405, "method not allowed"},
		{"GET", long, 414, "URL too long"},
	}
	for _, c := range cases {
		r := n.do(n.client, c.method, c.uri, "")
		if r.code != c.code || !strings.Contains(r.body, c.body) || !strings.HasPrefix(r.h("Content-Type"), "text/plain") {
			t.Errorf("%s %.40s: %d %q (%s); want %d containing %q", c.method, c.uri, r.code, r.body, r.h("Content-Type"), c.code, c.body)
		}
		wantCC := "no-store"
		if r.code == 404 {
			wantCC = "public, max-age=10"
		}
		if r.code == 200 || r.h("X-Content-Type-Options") != "nosniff" || r.h("Cache-Control") != wantCC {
			t.Errorf("%s %.40s: headers %+v", c.method, c.uri, r.headers)
		}
	}
	huge := n.get("/acme/cat.jpg", "X-Big", strings.Repeat("b", 9000))
	if huge.code != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("huge header: %d", huge.code)
	}
}

func TestNegativeCache(t *testing.T) {
	n := newTestNode(t)
	for i := 0; i < 3; i++ {
		if r := n.get("/acme/ghost.jpg?w=1"); r.code != 404 {
			t.Fatalf("ghost: %d", r.code)
		}
	}
	if f := n.origin.fetches.Load(); f != 1 {
		t.Fatalf("origin fetches for a 404 = %d, want 1 (negative cache)", f)
	}
	n.advance(11 * time.Second)
	n.get("/acme/ghost.jpg?w=1")
	if f := n.origin.fetches.Load(); f != 2 {
		t.Fatalf("after the negative TTL: fetches = %d, want 2", f)
	}
}

func TestOverloadedAndOriginFailures(t *testing.T) {
	n := newTestNode(t, func(c *Config, _ *Deps) { c.RequestTimeout, c.FillTimeout = 300*time.Millisecond, 200*time.Millisecond })
	n.codec.overloaded.Store(true)
	r := n.get("/acme/cat.jpg?w=3")
	if r.code != 503 || r.h("Retry-After") != "1" {
		t.Fatalf("overloaded: %d Retry-After %q", r.code, r.h("Retry-After"))
	}
	n.codec.overloaded.Store(false)
	n.origin.put("acme", "dog.jpg", Original{Body: []byte(fakeJPEG("DOG")), ETag: `"d"`})
	n.origin.fail.Store(true)
	if r := n.get("/acme/dog.jpg?w=4"); r.code != 502 || r.body != "origin error\n" {
		t.Fatalf("origin down: %d %q", r.code, r.body)
	}
	n.origin.fail.Store(false)
	n.origin.delay = time.Second
	start := time.Now()
	if r := n.get("/acme/dog.jpg?w=5"); r.code != 504 {
		t.Fatalf("origin slow: %d %q", r.code, r.body)
	}
	if took := time.Since(start); took > 900*time.Millisecond {
		t.Fatalf("504 took %v, want fast", took)
	}
}

func TestSingleflight(t *testing.T) {
	n := newTestNode(t)
	n.origin.delay = 50 * time.Millisecond
	var wg sync.WaitGroup
	codes := make(chan int, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- n.get("/acme/cat.jpg?w=300&fm=webp").code
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Fatalf("status %d", c)
		}
	}
	if f, tr := n.origin.fetches.Load(), n.codec.transforms.Load(); f != 1 || tr != 1 {
		t.Fatalf("50 concurrent requests: origin fetches %d, transforms %d; want 1, 1", f, tr)
	}
}

func TestSourceErrorsAreNotCached(t *testing.T) {
	n := newTestNode(t)
	for _, c := range []struct {
		err  error
		code int
	}{{ErrSourceTooLarge, 413}, {ErrUnsupported, 415}, {ErrUndecodable, 422}} {
		err := c.err
		n.codec.fail.Store(&err)
		uri := "/acme/cat.jpg?fm=png&w=" + strconv.Itoa(c.code)
		if r := n.get(uri); r.code != c.code || r.h("Cache-Control") != "no-store" {
			t.Errorf("%v: %d %q", c.err, r.code, r.h("Cache-Control"))
		}
		n.codec.fail.Store(nil)
		if r := n.get(uri); r.code != 200 || r.h("X-Cache") != "MISS" {
			t.Errorf("%v was cached: %d %q", c.err, r.code, r.h("X-Cache"))
		}
	}
}

func TestServerTimingRendersMillisecondsWithThreeDecimals(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.000"}, {999 * time.Nanosecond, "0.000"}, {time.Microsecond, "0.001"},
		{42 * time.Microsecond, "0.042"}, {1500 * time.Microsecond, "1.500"},
		{1234567 * time.Microsecond, "1234.567"}, {-time.Second, "0.000"},
	} {
		got := string(serverTiming(nil, resHit, tc.d))
		if want := "edge;desc=hit;dur=" + tc.want; got != want {
			t.Errorf("%v: %q, want %q", tc.d, got, want)
		}
	}
	for us := int64(0); us < 5000; us += 7 {
		d := time.Duration(us) * time.Microsecond
		want := "edge;desc=hit;dur=" + strconv.FormatFloat(float64(us)/1000, 'f', 3, 64)
		if got := string(serverTiming(nil, resHit, d)); got != want {
			t.Fatalf("%v: %q, want %q", d, got, want)
		}
	}
}

func TestL0HitsSendTheSameHeadersAsCacheHits(t *testing.T) {
	// The second request is served from the cache and keeps the entry in
	// the request's L0 slot with its headers prebuilt; the third is served
	// from there. Both must answer alike.
	dynamic := map[string]bool{"date": true, "server-timing": true, "age": true}
	for _, tc := range []struct {
		name, uri string
		headers   []string
	}{
		{"fixed format", "/acme/cat.jpg?w=120&fm=webp", nil},
		{"negotiated format", "/acme/cat.jpg?w=130&fm=auto", []string{"Accept", "image/webp,*/*"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNode(t)
			if r := n.get(tc.uri, tc.headers...); r.code != 200 || r.h("X-Cache") != "MISS" {
				t.Fatalf("first: %d %q", r.code, r.h("X-Cache"))
			}
			fromCache := n.get(tc.uri, tc.headers...)
			accept := ""
			if len(tc.headers) > 0 {
				accept = tc.headers[1]
			}
			if r := n.srv.memo.Get([]byte(tc.uri), []byte(accept)); r == nil || r.l0.Load() == nil {
				t.Fatal("the cache hit left nothing in the L0 slot")
			}
			fromL0 := n.get(tc.uri, tc.headers...)
			if fromL0.code != 200 || fromL0.body != fromCache.body || fromL0.h("Server") != "pixcdn" {
				t.Fatalf("L0 hit: %d, body %q vs %q, Server %q", fromL0.code, fromL0.body, fromCache.body, fromL0.h("Server"))
			}
			// Both name the result; only the cache hit was timed.
			if got := fromCache.h("Server-Timing"); !strings.HasPrefix(got, "edge;desc=hit;dur=") {
				t.Errorf("cache hit Server-Timing %q", got)
			}
			if got := fromL0.h("Server-Timing"); got != "edge;desc=hit" {
				t.Errorf("L0 hit Server-Timing %q, want edge;desc=hit", got)
			}
			for k, v := range fromCache.headers {
				if !dynamic[k] && fromL0.headers[k] != v {
					t.Errorf("%s: cache hit %q, L0 hit %q", k, v, fromL0.headers[k])
				}
			}
			for k := range fromL0.headers {
				if _, ok := fromCache.headers[k]; !ok {
					t.Errorf("L0 hit adds %s: %q", k, fromL0.headers[k])
				}
			}
			nm := n.get(tc.uri, append([]string{"If-None-Match", fromL0.h("ETag")}, tc.headers...)...)
			if nm.code != 304 || nm.h("ETag") != fromL0.h("ETag") || nm.h("Cache-Control") != fromL0.h("Cache-Control") || nm.body != "" {
				t.Fatalf("conditional L0 hit: %d, ETag %q, Cache-Control %q, body %q", nm.code, nm.h("ETag"), nm.h("Cache-Control"), nm.body)
			}
			if ct, ok := nm.headers["content-type"]; ok {
				t.Errorf("conditional L0 hit sends Content-Type %q", ct)
			}
		})
	}
}
