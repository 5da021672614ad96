package bench

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// testEdge is a real fasthttp server on loopback that behaves like a tiny
// edge: the first request for a (path, Accept) is a MISS, later ones HIT;
// ETags per path; If-None-Match → 304; "/sleep/DURATION" sleeps;
// "/pause" stalls once for pauseFor; latency delays every request. It counts what it sent so tests can
// check the engine's report against the server's own tally.
type testEdge struct {
	url      string
	ln       net.Listener
	srv      *fasthttp.Server
	done     chan struct{}
	pauseFor time.Duration
	paused   atomic.Bool
	latency  atomic.Int64 // nanoseconds every image request waits

	mu          sync.Mutex
	uris        map[string]int // request URIs as received
	seen        map[string]bool
	requests    int64
	hits        int64
	misses      int64
	notModified int64
	conditional int64
}

const testBody = "0123456789abcdef0123456789abcdef" // 32 bytes per 200

func startTestEdge(t *testing.T) *testEdge {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &testEdge{url: "http://" + ln.Addr().String(), ln: ln, seen: map[string]bool{}, uris: map[string]int{}, done: make(chan struct{})}
	e.srv = &fasthttp.Server{Handler: e.handle}
	go func() {
		defer close(e.done)
		_ = e.srv.Serve(ln)
	}()
	t.Cleanup(e.stop)
	return e
}

func (e *testEdge) stop() {
	_ = e.srv.Shutdown()
	_ = e.ln.Close() // Shutdown misses a listener Serve has not registered yet
	<-e.done
}

func (e *testEdge) handle(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	if path == "/metrics" {
		e.writeMetrics(ctx)
		return
	}
	e.delay(path)
	key := string(ctx.RequestURI()) + "|" + string(ctx.Request.Header.Peek("Accept"))
	etag := fmt.Sprintf(`"%x"`, len(key))
	inm := string(ctx.Request.Header.Peek("If-None-Match"))
	e.mu.Lock()
	defer e.mu.Unlock()
	e.uris[string(ctx.RequestURI())]++
	e.requests++
	cache := "HIT"
	if !e.seen[key] {
		e.seen[key], cache = true, "MISS"
		e.misses++
	} else {
		e.hits++
	}
	ctx.Response.Header.Set("X-Cache", cache)
	ctx.Response.Header.Set("ETag", etag)
	if inm != "" {
		e.conditional++
	}
	if inm == etag {
		e.notModified++
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	ctx.SetBodyString(testBody)
}

func (e *testEdge) delay(path string) {
	time.Sleep(time.Duration(e.latency.Load()))
	if d, ok := strings.CutPrefix(path, "/sleep/"); ok {
		if dur, err := time.ParseDuration(d); err == nil {
			time.Sleep(dur)
		}
	}
	if path == "/pause" && e.paused.CompareAndSwap(false, true) {
		time.Sleep(e.pauseFor)
	}
}

func (e *testEdge) writeMetrics(ctx *fasthttp.RequestCtx) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fmt.Fprintf(ctx, "# TYPE pixcdn_requests_total counter\n")
	fmt.Fprintf(ctx, "pixcdn_requests_total{cache=\"hit\",code=\"200\"} %d\n", e.hits)
	fmt.Fprintf(ctx, "pixcdn_requests_total{cache=\"miss\",code=\"200\"} %d\n", e.misses)
	fmt.Fprintf(ctx, "pixcdn_origin_fetches_total{result=\"ok\"} %d\n", e.misses)
	fmt.Fprintf(ctx, "pixcdn_transforms_total{format=\"webp\"} %d\n", e.misses/2)
	fmt.Fprintf(ctx, "pixcdn_transforms_total{format=\"avif\"} %d\n", e.misses-e.misses/2)
}

func (e *testEdge) tally() (requests, hits, misses, notModified, conditional int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests, e.hits, e.misses, e.notModified, e.conditional
}
