package lazydeadline

import (
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// tcpPair returns the two ends of a real loopback TCP connection, the
// server end wrapped by a Listener with slack.
func tcpPair(t *testing.T, slack time.Duration) (server *Conn, client net.Conn) {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &Listener{Listener: inner, Slack: slack}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { c.Close(); client.Close() })
	return c.(*Conn), client
}

// readTimesOutAfter reads from c (nothing is sent) and returns how long
// the read took, failing unless it ended with a timeout.
func readTimesOutAfter(t *testing.T, c net.Conn) time.Duration {
	t.Helper()
	start := time.Now()
	_, err := c.Read(make([]byte, 1))
	took := time.Since(start)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read ended with %v after %v, want a deadline error", err, took)
	}
	return took
}

func TestReadDeadlineFiresNoEarlierThanAskedAndWithinSlack(t *testing.T) {
	const timeout, slack = 100 * time.Millisecond, 50 * time.Millisecond
	server, _ := tcpPair(t, slack)
	if err := server.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatal(err)
	}
	took := readTimesOutAfter(t, server)
	if took < timeout || took > timeout+slack+time.Second {
		t.Fatalf("read timed out after %v, want within [%v, %v + slack + scheduling]", took, timeout, timeout)
	}
}

func TestEarlierDeadlineReplacesArmedLaterOne(t *testing.T) {
	// fasthttp's keep-alive pattern under slowloris: the idle deadline is
	// armed while waiting for the first byte, then the shorter read
	// deadline must apply to the rest of the request.
	server, client := tcpPair(t, 10*time.Millisecond)
	if err := server.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte("G")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(server, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if err := server.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if took := readTimesOutAfter(t, server); took > 5*time.Second {
		t.Fatalf("the later, idle deadline applied: read took %v", took)
	}
}

func TestDeadlineSetDuringBlockedReadAppliesAtOnce(t *testing.T) {
	server, _ := tcpPair(t, time.Hour)
	done := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		_, err := server.Read(make([]byte, 1))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			done <- -1
			return
		}
		done <- time.Since(start)
	}()
	for !server.busy(&server.reads) {
		time.Sleep(time.Millisecond)
	}
	// A deadline in the past, as http.Server and others use to interrupt a read.
	if err := server.SetReadDeadline(time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	select {
	case took := <-done:
		if took < 0 {
			t.Fatal("blocked read did not end with a deadline error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a deadline set during a blocked read did not interrupt it")
	}
}

func TestZeroDeadlineClears(t *testing.T) {
	server, client := tcpPair(t, 0)
	if err := server.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	readTimesOutAfter(t, server)
	if err := server.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		_, _ = client.Write([]byte("x"))
	}()
	if _, err := io.ReadFull(server, make([]byte, 1)); err != nil {
		t.Fatalf("read after clearing the deadline: %v", err)
	}
}

func TestWriteDeadlineStopsAWriteToAClientThatDoesNotRead(t *testing.T) {
	server, _ := tcpPair(t, 10*time.Millisecond)
	if err := server.SetWriteDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := server.Write(chunk); err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("write failed with %v, want a deadline error", err)
			}
			return
		}
	}
	t.Fatal("writes to a client that never reads did not time out")
}

// countingConn counts the deadline changes that reach the socket.
type countingConn struct {
	net.Conn
	reads, writes atomic.Int64
}

func (c *countingConn) SetReadDeadline(t time.Time) error {
	c.reads.Add(1)
	return c.Conn.SetReadDeadline(t)
}

func (c *countingConn) SetWriteDeadline(t time.Time) error {
	c.writes.Add(1)
	return c.Conn.SetWriteDeadline(t)
}

func TestKeepAliveRequestsMoveSocketDeadlinesOncePerSlack(t *testing.T) {
	const requests = 2000
	server, client := tcpPair(t, time.Hour) // nothing here lasts a slack
	counted := &countingConn{Conn: server.Conn}
	c := NewConn(counted, time.Hour)
	go func() { // a client: one request byte out, one response byte back
		buf := make([]byte, 1)
		for i := 0; i < requests; i++ {
			if _, err := client.Write([]byte("R")); err != nil {
				return
			}
			if _, err := io.ReadFull(client, buf); err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 1)
	for i := 0; i < requests; i++ {
		now := time.Now()
		// What fasthttp does per keep-alive request, in order.
		must(t, c.SetReadDeadline(now.Add(60*time.Second))) // idle
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		must(t, c.SetReadDeadline(now.Add(10*time.Second)))  // read
		must(t, c.SetWriteDeadline(now.Add(30*time.Second))) // write
		if _, err := c.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
	if r, w := counted.reads.Load(), counted.writes.Load(); r > 2 || w > 1 {
		t.Fatalf("%d requests moved the socket's read deadline %d times and write deadline %d times; want ≤ 2 and ≤ 1", requests, r, w)
	}
}

func TestZeroSlackAppliesEveryChange(t *testing.T) {
	server, client := tcpPair(t, 0)
	counted := &countingConn{Conn: server.Conn}
	c := NewConn(counted, 0)
	must(t, c.SetReadDeadline(time.Now().Add(time.Minute)))
	go func() { _, _ = client.Write([]byte("ab")) }()
	buf := make([]byte, 1)
	for i := 0; i < 2; i++ {
		must(t, c.SetReadDeadline(time.Now().Add(time.Duration(i+1)*time.Minute)))
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
	}
	if n := counted.reads.Load(); n != 2 {
		t.Fatalf("socket read deadline moved %d times, want 2 (one per read with a new deadline)", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// busy reports whether a call of direction d is in progress (tests only).
func (c *Conn) busy(d *direction) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return d.busy
}
