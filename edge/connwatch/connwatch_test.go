package connwatch

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// logLines collects what fasthttp logs.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// served is a fasthttp server with a Watch on a real loopback listener.
type served struct {
	addr  string
	watch *Watch
	log   *logLines
}

// bigBody is the answer to ?big: far more than the sockets' buffers hold.
var bigBody = make([]byte, 64<<20)

// serve starts a server whose handler answers "ok" after the request's
// ?sleep= duration, or bigBody to ?big.
func serve(t *testing.T, timeouts Timeouts, tick time.Duration) *served {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &served{addr: ln.Addr().String(), watch: New(timeouts, tick), log: &logLines{}}
	srv := &fasthttp.Server{Logger: s.log, Handler: func(ctx *fasthttp.RequestCtx) {
		if d, err := time.ParseDuration(string(ctx.QueryArgs().Peek("sleep"))); err == nil {
			time.Sleep(d)
		}
		if ctx.QueryArgs().Has("big") {
			ctx.Response.SetBodyRaw(bigBody)
			return
		}
		ctx.SetBodyString("ok")
	}}
	s.watch.Install(srv)
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Shutdown()
		s.watch.Close()
	})
	return s
}

func (s *served) dial(t *testing.T) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// get sends one keep-alive request on c and checks the answer.
func get(t *testing.T, c net.Conn, br *bufio.Reader, target string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("GET %s: status %d, close %v", target, resp.StatusCode, resp.Close)
	}
}

// closedAfter waits until the server closes c and returns how long that
// took from start.
func closedAfter(t *testing.T, c net.Conn, br *bufio.Reader, start time.Time) time.Duration {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.Copy(io.Discard, br); err != nil {
		t.Fatalf("server kept the connection for %v: %v", time.Since(start), err)
	}
	return time.Since(start)
}

// within fails unless took is at least want and at most want plus two
// ticks plus scheduling margin.
func within(t *testing.T, what string, took, want, tick time.Duration) {
	t.Helper()
	if took < want || took > want+2*tick+500*time.Millisecond {
		t.Fatalf("%s: closed after %v, want %v to %v", what, took, want, want+2*tick)
	}
}

const tick = 20 * time.Millisecond

// watched counts the connections being watched.
func (w *Watch) watched() int {
	n := 0
	w.conns.Range(func(_, _ any) bool { n++; return true })
	return n
}

func TestNewConnectionThatSendsNothingGetsTheReadTimeout(t *testing.T) {
	s := serve(t, Timeouts{Read: 300 * time.Millisecond, Idle: 10 * time.Second}, tick)
	start := time.Now()
	c, br := s.dial(t)
	within(t, "silent connection", closedAfter(t, c, br, start), 300*time.Millisecond, tick)
}

func TestFirstRequestTrickledKeepsTheDeadlineTheConnectionOpenedWith(t *testing.T) {
	// A slowloris client sends its first byte late and then one now and
	// then: that byte must not restart the read timeout, or it could
	// stretch it to nearly twice as long.
	// A restarted timeout would fire at 600ms + 700ms at the earliest.
	s := serve(t, Timeouts{Read: 700 * time.Millisecond}, tick)
	start := time.Now()
	c, br := s.dial(t)
	go func() {
		time.Sleep(600 * time.Millisecond)
		for _, b := range []byte("GET / HTTP/1.1\r\n") {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	took := closedAfter(t, c, br, start)
	if took < 700*time.Millisecond || took > 700*time.Millisecond+2*tick+500*time.Millisecond {
		t.Fatalf("trickled first request: closed after %v, want 700ms to %v", took, 700*time.Millisecond+2*tick)
	}
}

func TestSlowRequestOnKeepAliveConnectionGetsReadTimeoutNotIdle(t *testing.T) {
	s := serve(t, Timeouts{Read: 200 * time.Millisecond, Idle: 10 * time.Second}, tick)
	c, br := s.dial(t)
	get(t, c, br, "/")
	start := time.Now()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n") // never finishes its headers
	within(t, "unfinished keep-alive request", closedAfter(t, c, br, start), 200*time.Millisecond, tick)
}

func TestIdleKeepAliveConnectionGetsIdleTimeout(t *testing.T) {
	s := serve(t, Timeouts{Read: 10 * time.Second, Idle: 300 * time.Millisecond}, tick)
	c, br := s.dial(t)
	// The idle clock starts when the server has answered, which is
	// after this request was sent and before the client has read it.
	start := time.Now()
	get(t, c, br, "/")
	within(t, "idle keep-alive connection", closedAfter(t, c, br, start), 300*time.Millisecond, tick)
}

func TestIdleFallsBackToRead(t *testing.T) {
	s := serve(t, Timeouts{Read: 250 * time.Millisecond}, tick)
	c, br := s.dial(t)
	// The idle clock starts when the server has answered, which is
	// after this request was sent and before the client has read it.
	start := time.Now()
	get(t, c, br, "/")
	within(t, "idle keep-alive connection", closedAfter(t, c, br, start), 250*time.Millisecond, tick)
}

func TestBusyKeepAliveConnectionIsKept(t *testing.T) {
	// Requests 50ms apart for ten idle timeouts: every one renews it.
	s := serve(t, Timeouts{Read: 100 * time.Millisecond, Write: 100 * time.Millisecond, Idle: 150 * time.Millisecond}, tick)
	c, br := s.dial(t)
	for deadline := time.Now().Add(1500 * time.Millisecond); time.Now().Before(deadline); {
		get(t, c, br, "/")
		time.Sleep(50 * time.Millisecond)
	}
	if n := s.watch.Expired(); n != 0 {
		t.Fatalf("%d connections expired", n)
	}
}

func TestHandlerRunningLongerThanTheTimeoutsIsNotCut(t *testing.T) {
	// The handler bounds its own work: a slow answer is not a slow client.
	s := serve(t, Timeouts{Read: 100 * time.Millisecond, Write: 100 * time.Millisecond, Idle: 100 * time.Millisecond}, tick)
	c, br := s.dial(t)
	get(t, c, br, "/?sleep=600ms")
	get(t, c, br, "/") // still open
}

func TestClientThatDoesNotReadGetsTheWriteTimeout(t *testing.T) {
	s := serve(t, Timeouts{Read: 10 * time.Second, Write: 300 * time.Millisecond, Idle: 10 * time.Second}, tick)
	c, br := s.dial(t)
	io.WriteString(c, "GET /?big HTTP/1.1\r\nHost: x\r\n\r\n")
	// The write timeout starts when the handler returns: once the answer
	// begins to arrive. Then stop reading: 64 MiB fill both sockets'
	// buffers long before they are sent.
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.Peek(1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for s.watch.Expired() == 0 {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the stalled response was not cut off")
		}
		time.Sleep(10 * time.Millisecond)
	}
	within(t, "stalled response", time.Since(start), 300*time.Millisecond, tick)
	// The connection is closed: the rest of the stream ends early.
	n, _ := io.Copy(io.Discard, br)
	if n >= 64<<20 {
		t.Fatalf("read the whole %d-byte response", n)
	}
}

func TestNoTimeoutsExpireNothing(t *testing.T) {
	s := serve(t, Timeouts{}, tick)
	c, br := s.dial(t)
	time.Sleep(300 * time.Millisecond)
	get(t, c, br, "/")
	time.Sleep(300 * time.Millisecond)
	get(t, c, br, "/")
	if n := s.watch.Expired(); n != 0 {
		t.Fatalf("%d connections expired", n)
	}
	if n := s.watch.watched(); n != 0 {
		t.Fatalf("%d connections watched without timeouts: work on the request path for nothing", n)
	}
}

func TestClosedConnectionsAreForgotten(t *testing.T) {
	s := serve(t, Timeouts{Read: 10 * time.Second}, tick)
	for range 20 {
		c, br := s.dial(t)
		get(t, c, br, "/")
		c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.watch.watched() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d closed connections still watched", s.watch.watched())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := range s.watch.slots {
		if cn := s.watch.slots[i].Load(); cn != nil {
			t.Fatalf("slot %d still holds closed connection %v", i, cn.nc.RemoteAddr())
		}
	}
}

// BenchmarkRequestStates is the Watch's work for one keep-alive request
// (active, handler start and end, idle) on one of 1,000 connections.
func BenchmarkRequestStates(b *testing.B) {
	w := New(Timeouts{Read: time.Second, Write: time.Second, Idle: time.Second}, time.Second)
	defer w.Close()
	conns := make([]net.Conn, 1000)
	for i := range conns {
		conns[i] = &net.TCPConn{}
		w.connState(conns[i], fasthttp.StateNew)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := conns[i%len(conns)]
		w.connState(c, fasthttp.StateActive)
		cn := w.lookup(c)
		w.arm(cn, 0)
		w.arm(cn, w.timeouts.Write)
		w.connState(c, fasthttp.StateIdle)
	}
}

func TestExpiringLogsNothing(t *testing.T) {
	s := serve(t, Timeouts{Read: 100 * time.Millisecond}, tick)
	c, br := s.dial(t)
	get(t, c, br, "/")
	closedAfter(t, c, br, time.Now())
	c2, br2 := s.dial(t)
	io.WriteString(c2, "GET / HTTP/1.1\r\n")
	closedAfter(t, c2, br2, time.Now())
	time.Sleep(50 * time.Millisecond)
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	for _, l := range s.log.lines {
		if strings.Contains(l, "timeout") {
			t.Errorf("logged %q", l)
		}
	}
}

func TestInstallKeepsTheConnStateHook(t *testing.T) {
	var mu sync.Mutex
	var states []fasthttp.ConnState
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {}, ConnState: func(_ net.Conn, s fasthttp.ConnState) {
		mu.Lock()
		states = append(states, s)
		mu.Unlock()
	}, ReadTimeout: time.Second}
	w := New(Timeouts{Read: time.Second}, tick)
	defer w.Close()
	w.Install(srv)
	if srv.ReadTimeout != 0 || !srv.LazyRequestTime {
		t.Fatalf("fasthttp's own timeouts left on: %v, lazy time %v", srv.ReadTimeout, srv.LazyRequestTime)
	}
	srv.ConnState(nil, fasthttp.StateClosed)
	if len(states) != 1 || states[0] != fasthttp.StateClosed {
		t.Fatalf("earlier hook saw %v", states)
	}
}

func TestDefaultTickIsATenthOfTheShortestTimeoutAtMostHalfASecond(t *testing.T) {
	for _, tc := range []struct {
		t    Timeouts
		want time.Duration
	}{
		{Timeouts{Read: 10 * time.Second, Write: 30 * time.Second, Idle: 60 * time.Second}, 500 * time.Millisecond},
		{Timeouts{Read: 2 * time.Second, Write: 30 * time.Second}, 200 * time.Millisecond},
		{Timeouts{Idle: 500 * time.Millisecond}, 50 * time.Millisecond},
		{Timeouts{Read: time.Millisecond}, time.Millisecond},
		{Timeouts{}, 500 * time.Millisecond},
	} {
		if got := DefaultTick(tc.t); got != tc.want {
			t.Errorf("%+v: tick %v, want %v", tc.t, got, tc.want)
		}
	}
}
