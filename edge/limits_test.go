package edge

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// tcpNode serves the public port on a real loopback listener, which the
// per-address connection limit and the read timeout need.
func tcpNode(t *testing.T, mutate func(*Config)) string {
	t.Helper()
	_, addr := tcpServer(t, mutate)
	return addr
}

// tcpServer is tcpNode that also returns the Server.
func tcpServer(t *testing.T, mutate func(*Config)) (*Server, string) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	mutate(&cfg)
	o := newFakeOrigin()
	o.put("acme", "cat.jpg", Original{Body: []byte(fakeJPEG("C")), ETag: `"c"`})
	srv, err := New(cfg, Deps{Cache: newMemCache(), Ring: selfRing{}, Origin: o, Codec: &fakeCodec{}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServePublic(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	return srv, ln.Addr().String()
}

// statusOf sends one raw request on conn and returns the status line.
func statusOf(t *testing.T, conn net.Conn, req string) string {
	t.Helper()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		return "write error: " + err.Error()
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "read error: " + err.Error()
	}
	return strings.TrimSpace(line)
}

func TestConnectionsPerAddressAreLimited(t *testing.T) {
	srv, addr := tcpServer(t, func(c *Config) { c.Limits.MaxConnsPerIP = 2 })
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	const req = "GET /acme/cat.jpg HTTP/1.1\r\nHost: x\r\n\r\n"
	for i := 0; i < 2; i++ {
		if got := statusOf(t, conns[i], req); got != "HTTP/1.1 200 OK" {
			t.Fatalf("connection %d: %q", i, got)
		}
	}
	if got := statusOf(t, conns[2], req); got != "HTTP/1.1 429 Too Many Requests" {
		t.Fatalf("third connection from one address: %q, want a 429", got)
	}
	families, err := srv.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	refused := -1.0
	for _, f := range families {
		if f.GetName() == "pixcdn_connections_refused_total" {
			refused = f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	if refused != 1 {
		t.Errorf("pixcdn_connections_refused_total = %v, want 1", refused)
	}
}

func TestSlowClientIsCutOff(t *testing.T) {
	addr := tcpNode(t, func(c *Config) {
		c.Limits.ReadTimeout, c.Limits.IdleTimeout = 200*time.Millisecond, 200*time.Millisecond
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /acme/cat.jpg HTTP/1.1\r\nHost: x\r\n") // never finishes the headers
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(c) // returns when the server closes the connection
	if err != nil {
		t.Fatalf("server kept a slow client for %v: %v", time.Since(start), err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("slow client cut off after %v", took)
	}
}

// keepAliveConn opens a connection to addr and completes one keep-alive
// request on it, so the server is waiting for the next under IdleTimeout.
func keepAliveConn(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /acme/cat.jpg HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("first request: status %d, close %v", resp.StatusCode, resp.Close)
	}
	return c, br
}

// closedAfter waits for the server to close c and returns how long it took.
func closedAfter(t *testing.T, c net.Conn, br *bufio.Reader) time.Duration {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	start := time.Now()
	if _, err := io.ReadAll(br); err != nil {
		t.Fatalf("server kept the connection for %v: %v", time.Since(start), err)
	}
	return time.Since(start)
}

func TestSlowRequestOnKeepAliveConnectionGetsReadTimeoutNotIdleTimeout(t *testing.T) {
	// The socket's deadline is the long idle one while the server waits
	// for the second request; once it starts, the short read timeout must
	// replace it, although deadlines are moved lazily.
	addr := tcpNode(t, func(c *Config) {
		c.Limits.ReadTimeout, c.Limits.IdleTimeout = 200*time.Millisecond, 10*time.Second
	})
	c, br := keepAliveConn(t, addr)
	io.WriteString(c, "GET /acme/cat.jpg HTTP/1.1\r\nHost: x\r\n") // never finishes the headers
	if took := closedAfter(t, c, br); took > 3*time.Second {
		t.Fatalf("slow keep-alive request cut off after %v, want about the 200ms read timeout", took)
	}
}

func TestIdleKeepAliveConnectionIsClosed(t *testing.T) {
	addr := tcpNode(t, func(c *Config) {
		c.Limits.ReadTimeout, c.Limits.IdleTimeout = 10*time.Second, 300*time.Millisecond
	})
	c, br := keepAliveConn(t, addr)
	took := closedAfter(t, c, br)
	if took < 300*time.Millisecond || took > 5*time.Second {
		t.Fatalf("idle connection closed after %v, want the 300ms idle timeout (plus slack)", took)
	}
}
