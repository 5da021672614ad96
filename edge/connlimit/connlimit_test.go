package connlimit

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// serve starts a fasthttp server answering "ok" behind a Limit of max.
func serve(t *testing.T, max int) (*Limit, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	limit := New(max)
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }}
	limit.Install(srv)
	go srv.Serve(limit.Listener(ln))
	t.Cleanup(func() { srv.Shutdown() })
	return limit, ln.Addr().String()
}

// get sends a keep-alive GET on c and returns the response.
func get(t *testing.T, c net.Conn) (*http.Response, string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitOpen waits until l counts want connections in all.
func waitOpen(t *testing.T, l *Limit, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := l.open.Total()
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections counted, want %d", n, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestConnectionsOverTheCapAreRefusedAndClosedOnesReleased(t *testing.T) {
	limit, addr := serve(t, 2)
	a, b := dial(t, addr), dial(t, addr)
	for _, c := range []net.Conn{a, b} {
		if resp, body := get(t, c); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("under the cap: %d %q", resp.StatusCode, body)
		}
	}
	over := dial(t, addr)
	over.SetDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(over), nil)
	if err != nil {
		t.Fatalf("over the cap: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 429 || !strings.Contains(string(body), "too many connections") || !resp.Close {
		t.Fatalf("over the cap: %d %q close=%v", resp.StatusCode, body, resp.Close)
	}
	if limit.Refused() != 1 {
		t.Fatalf("Refused() = %d", limit.Refused())
	}
	// A closed connection frees its place.
	a.Close()
	waitOpen(t, limit, 1)
	if resp, _ := get(t, dial(t, addr)); resp.StatusCode != 200 {
		t.Fatalf("after a close: %d", resp.StatusCode)
	}
	if resp, _ := get(t, b); resp.StatusCode != 200 {
		t.Fatalf("kept connection: %d", resp.StatusCode)
	}
}

func TestEveryClosedConnectionIsReleased(t *testing.T) {
	limit, addr := serve(t, 3)
	for range 50 {
		c := dial(t, addr)
		if resp, _ := get(t, c); resp.StatusCode != 200 {
			t.Fatalf("%d", resp.StatusCode)
		}
		c.Close()
		// The server releases a connection when it notices the close, a
		// moment later: wait for it, or a loaded machine queues more
		// closing connections than the cap and the next dial gets 429.
		waitOpen(t, limit, 0)
	}
	waitOpen(t, limit, 0)
	if n := limit.open.Clients(); n != 0 {
		t.Fatalf("%d addresses left in the table", n)
	}
}

func TestConcurrentConnectionsStayUnderTheCapAndAreAllReleased(t *testing.T) {
	const limitPerAddress, clients = 8, 64
	limit, addr := serve(t, limitPerAddress)
	var wg sync.WaitGroup
	var served, refused atomic.Int64
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Error(err)
					return
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				switch {
				case err != nil:
					t.Error(err)
				case resp.StatusCode == 200:
					served.Add(1)
				case resp.StatusCode == 429:
					refused.Add(1)
				default:
					t.Errorf("status %d", resp.StatusCode)
				}
				c.Close()
			}
		}()
	}
	// Meanwhile the count never passes the cap.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(time.Millisecond):
		}
		n := limit.open.Held(netip.MustParseAddr("127.0.0.1"))
		if n > limitPerAddress {
			t.Fatalf("%d connections counted, cap %d", n, limitPerAddress)
		}
	}
	waitOpen(t, limit, 0)
	if served.Load() == 0 || served.Load()+refused.Load() != clients*10 || refused.Load() != limit.Refused() {
		t.Fatalf("served %d, refused %d (Refused() %d) of %d", served.Load(), refused.Load(), limit.Refused(), clients*10)
	}
	t.Logf("served %d, refused %d", served.Load(), refused.Load())
}

// fakeConn is a net.Conn with a given peer address.
type fakeConn struct {
	net.Conn
	remote net.Addr
}

func (c fakeConn) RemoteAddr() net.Addr { return c.remote }

func TestAddressesAreIPv4OrIPv6Slash64(t *testing.T) {
	key := func(s string) string {
		ap := net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s))
		a, ok := addressOf(fakeConn{remote: ap})
		if !ok {
			t.Fatalf("%s: not counted", s)
		}
		return a.String()
	}
	for _, tc := range []struct{ a, b string }{
		{"192.0.2.1:1000", "192.0.2.1:2000"},
		{"[::ffff:192.0.2.1]:1", "192.0.2.1:2"},
		{"[2001:db8:1:2::1]:1", "[2001:db8:1:2:ffff::9]:2"},
	} {
		if key(tc.a) != key(tc.b) {
			t.Errorf("%s and %s counted apart: %s, %s", tc.a, tc.b, key(tc.a), key(tc.b))
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"192.0.2.1:1", "192.0.2.2:1"},
		{"[2001:db8:1:2::1]:1", "[2001:db8:1:3::1]:1"},
	} {
		if key(tc.a) == key(tc.b) {
			t.Errorf("%s and %s counted together", tc.a, tc.b)
		}
	}
	if _, ok := addressOf(fakeConn{remote: &net.UnixAddr{Name: "x", Net: "unix"}}); ok {
		t.Error("a unix socket peer is counted")
	}
}
