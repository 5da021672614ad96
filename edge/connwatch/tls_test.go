package connwatch

import (
	"bufio"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"pixcdn/internal/testca"
)

// serveTLS is serve over TLS: fasthttp hands the hooks the *tls.Conn, and
// the Watch expires it through the TCP connection's deadlines.
func serveTLS(t *testing.T, timeouts Timeouts) (*served, *tls.Config) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ca := testca.New(t)
	s := &served{addr: ln.Addr().String(), watch: New(timeouts, tick), log: &logLines{}}
	srv := &fasthttp.Server{Logger: s.log, Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }}
	s.watch.Install(srv)
	go srv.Serve(tls.NewListener(ln, ca.Issue(t, "127.0.0.1").ServerConfig()))
	t.Cleanup(func() {
		srv.Shutdown()
		s.watch.Close()
	})
	return s, ca.ClientConfig("127.0.0.1")
}

// A client that opens a TCP connection and never sends its TLS hello is
// cut off after the read timeout: the handshake is read under it.
func TestSilentTLSClientGetsTheReadTimeout(t *testing.T) {
	s, _ := serveTLS(t, Timeouts{Read: 300 * time.Millisecond, Idle: 10 * time.Second})
	start := time.Now()
	c, br := s.dial(t)
	within(t, "silent TLS connection", closedAfter(t, c, br, start), 300*time.Millisecond, tick)
}

func TestIdleTLSKeepAliveConnectionGetsIdleTimeout(t *testing.T) {
	s, cfg := serveTLS(t, Timeouts{Read: 5 * time.Second, Idle: 300 * time.Millisecond})
	c, err := tls.Dial("tcp", s.addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	br := bufio.NewReader(c)
	get(t, c, br, "/")
	// The idle clock starts when the server has answered, which is
	// after this request was sent and before the client has read it.
	start := time.Now()
	get(t, c, br, "/")
	within(t, "idle TLS connection", closedAfter(t, c, br, start), 300*time.Millisecond, tick)
	// fasthttp reports StateClosed just after closing the connection.
	for deadline := time.Now().Add(5 * time.Second); s.watch.watched() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still watched", s.watch.watched())
		}
	}
}
