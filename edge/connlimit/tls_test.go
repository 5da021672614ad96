package connlimit

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"pixcdn/internal/testca"
)

// serveTLS starts a fasthttp server answering "ok" over TLS behind a
// Limit of max, and returns a client config trusting it.
func serveTLS(t *testing.T, max int) (*Limit, string, *tls.Config) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ca := testca.New(t)
	limit := New(max)
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }}
	limit.Install(srv)
	go srv.Serve(limit.TLSListener(ln, ca.Issue(t, "127.0.0.1").ServerConfig()))
	t.Cleanup(func() { srv.Shutdown() })
	return limit, ln.Addr().String(), ca.ClientConfig("127.0.0.1")
}

func dialTLS(addr string, cfg *tls.Config) (*tls.Conn, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c, nil
}

func getTLS(t *testing.T, c *tls.Conn) int {
	t.Helper()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TLS connections are counted by the TCP connection's address and
// released when fasthttp closes the *tls.Conn over it; one over the cap
// is closed before its handshake.
func TestTLSConnectionsAreCountedAndOverTheCapClosedBeforeTheHandshake(t *testing.T) {
	limit, addr, cfg := serveTLS(t, 2)
	var open []*tls.Conn
	for range 2 {
		c, err := dialTLS(addr, cfg)
		if err != nil {
			t.Fatalf("under the cap: %v", err)
		}
		defer c.Close()
		if code := getTLS(t, c); code != 200 {
			t.Fatalf("under the cap: %d", code)
		}
		open = append(open, c)
	}
	waitOpen(t, limit, 2)
	if c, err := dialTLS(addr, cfg); err == nil {
		c.Close()
		t.Fatal("over the cap: handshake succeeded")
	}
	if limit.Refused() != 1 {
		t.Fatalf("Refused() = %d", limit.Refused())
	}
	open[0].Close()
	waitOpen(t, limit, 1)
	c, err := dialTLS(addr, cfg)
	if err != nil {
		t.Fatalf("after a close: %v", err)
	}
	defer c.Close()
	if code := getTLS(t, c); code != 200 {
		t.Fatalf("after a close: %d", code)
	}
	c.Close()
	open[1].Close()
	waitOpen(t, limit, 0)
	if n := limit.open.Clients(); n != 0 {
		t.Fatalf("%d addresses left in the table", n)
	}
}

// A client that connects and never starts its handshake still holds a
// place until the server closes it.
func TestTLSConnectionWithoutHandshakeIsCounted(t *testing.T) {
	limit, addr, _ := serveTLS(t, 1)
	raw := dial(t, addr)
	waitOpen(t, limit, 1)
	raw.Close()
	waitOpen(t, limit, 0)
}
