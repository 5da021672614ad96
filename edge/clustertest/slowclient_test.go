package clustertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

// maxConnsPerIP is the edge's default --max-conns-per-ip.
const maxConnsPerIP = 512

// raiseFileLimit raises this process's open-file soft limit to at least n
// (up to the hard limit) and fails the test when the hard limit is lower.
// The edge started afterwards inherits it.
func raiseFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Fatalf("open-file hard limit %d < %d this test needs (ulimit -Hn)", lim.Max, n)
	}
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("raise the open-file limit to %d: %v", n, err)
	}
}

// loopback returns 127.a.b.c for the i-th client address of a block
// (block 0: 127.0.x.y; other blocks keep clear of one another).
func loopback(block, i int) net.IP {
	return net.IPv4(127, byte(block), byte(1+i/250), byte(1+i%250))
}

// slowConns are connections held open by clients that never finish a
// request: half send nothing, half send a request line and one header
// and then stall (slowloris). Safe for concurrent use.
type slowConns struct {
	mu      sync.Mutex
	conns   []net.Conn
	dialErr int
	refused atomic.Int64 // answered 429
	closed  atomic.Int64 // closed by the server without an answer
}

// openSlowConns dials n connections to addr, the i-th from from(i).
func openSlowConns(t *testing.T, addr string, n int, from func(i int) net.IP) *slowConns {
	t.Helper()
	s := &slowConns{}
	t.Cleanup(s.Close)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: from(i)}, Timeout: 5 * time.Second}
			c, err := d.Dial("tcp", addr)
			s.mu.Lock()
			defer s.mu.Unlock()
			if err != nil {
				s.dialErr++
				return
			}
			if i%2 == 1 {
				fmt.Fprintf(c, "GET /acme/photos/big.jpg?w=100 HTTP/1.1\r\nHost: %s\r\n", addr)
			}
			s.conns = append(s.conns, c)
			go s.watch(c)
		}()
	}
	wg.Wait()
	return s
}

// watch reads what the server sends on c: a 429 counts as refused, an end
// without an answer as closed.
func (s *slowConns) watch(c net.Conn) {
	buf := make([]byte, 64)
	n, err := io.ReadAtLeast(c, buf, 12)
	switch {
	case n >= 12 && strings.HasPrefix(string(buf[:n]), "HTTP/1.1 429"):
		s.refused.Add(1)
	case err != nil && !isLocalClose(err):
		s.closed.Add(1)
	}
}

// isLocalClose reports whether err comes from the test closing c itself.
func isLocalClose(err error) bool { return errors.Is(err, net.ErrClosed) }

// Open counts the connections the server neither refused nor closed.
func (s *slowConns) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns) - int(s.refused.Load()) - int(s.closed.Load())
}

// waitRefused polls until at least n connections were answered 429, or
// timeout passed.
func (s *slowConns) waitRefused(n int, timeout time.Duration) {
	for deadline := time.Now().Add(timeout); s.refused.Load() < int64(n) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

// waitClosed polls until the server closed or refused every connection,
// or timeout passed, and returns how long it took.
func (s *slowConns) waitClosed(timeout time.Duration) time.Duration {
	start := time.Now()
	for s.Open() > 0 && time.Since(start) < timeout {
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// Close closes every connection.
func (s *slowConns) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
}

// clientFrom is an HTTP client whose connections come from ip; keepAlive
// false opens a connection per request.
func clientFrom(ip net.IP, keepAlive bool) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		DialContext: d.DialContext, DisableKeepAlives: !keepAlive, MaxIdleConnsPerHost: 4,
	}}
}

// latencies requests url n times, one at a time, with client, and returns
// each request's time; a failed request fails the test.
func latencies(t *testing.T, client *http.Client, url string, n int) []time.Duration {
	t.Helper()
	out := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		req, _ := http.NewRequestWithContext(context.Background(), "GET", url, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("normal client: %v", err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("normal client: %d %v", resp.StatusCode, err)
		}
		out = append(out, time.Since(start))
	}
	return out
}

// slowClientRun is what one slow-client run measured.
type slowClientRun struct {
	oneAddr, manyAddr *slowConns
	quiet, loaded     [2][]time.Duration // keep-alive, new connection per request
	rssBefore, rssMax int64
}

func (r slowClientRun) String() string {
	mib := func(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
	lat := func(d []time.Duration) string {
		return fmt.Sprintf("p50 %s p99 %s", ms(quantile(d, 0.5)), ms(quantile(d, 0.99)))
	}
	return fmt.Sprintf("one address: %d connections held, %d answered 429, %d closed; "+
		"many addresses: %d held, %d answered 429, %d closed; normal client keep-alive %s (quiet %s), "+
		"new connection each %s (quiet %s); edge RSS %s before, max %s while held",
		r.oneAddr.Open(), r.oneAddr.refused.Load(), r.oneAddr.closed.Load(),
		r.manyAddr.Open(), r.manyAddr.refused.Load(), r.manyAddr.closed.Load(),
		lat(r.loaded[0]), lat(r.quiet[0]), lat(r.loaded[1]), lat(r.quiet[1]), mib(r.rssBefore), mib(r.rssMax))
}

// runSlowClients holds oneAddr idle connections from one address and
// manyAddr from many (10 per address) open against a lone edge, and
// measures a normal client's latency (requests per mode) while they are
// open, and the edge's RSS.
func runSlowClients(t *testing.T, node *testenv.EdgeNode, oneAddr, manyAddr, requests int) slowClientRun {
	t.Helper()
	const path = "/acme/photos/big.jpg?w=300"
	url := node.URL(path)
	keepAlive, fresh := clientFrom(loopback(0, 0), true), clientFrom(loopback(0, 1), false)
	var r slowClientRun
	r.quiet = [2][]time.Duration{latencies(t, keepAlive, url, requests), latencies(t, fresh, url, requests)}
	var err error
	if r.rssBefore, err = node.RSS(); err != nil {
		t.Fatal(err)
	}
	r.oneAddr = openSlowConns(t, node.Public, oneAddr, func(int) net.IP { return loopback(1, 0) })
	r.manyAddr = openSlowConns(t, node.Public, manyAddr, func(i int) net.IP { return loopback(2, i/10) })
	stopRSS := make(chan struct{})
	rssDone := make(chan int64)
	go func() { rssDone <- sampleMaxRSS(node, stopRSS) }()
	r.loaded = [2][]time.Duration{latencies(t, keepAlive, url, requests), latencies(t, fresh, url, requests)}
	close(stopRSS)
	r.rssMax = max(<-rssDone, r.rssBefore)
	if r.oneAddr.dialErr+r.manyAddr.dialErr > 0 {
		t.Fatalf("%d connections could not be dialled", r.oneAddr.dialErr+r.manyAddr.dialErr)
	}
	return r
}

// sampleMaxRSS reads the node's RSS every 50ms until stop and returns the
// largest value read.
func sampleMaxRSS(node *testenv.EdgeNode, stop <-chan struct{}) int64 {
	var m int64
	for {
		if rss, err := node.RSS(); err == nil {
			m = max(m, rss)
		}
		select {
		case <-stop:
			return m
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestSlowClientsDoNotStopNormalClients: a thousand connections from one
// address and two thousand from two hundred addresses, each idle or
// stalled in its header, are held open against an edge; a normal client
// (keep-alive, and a new connection per request) is served throughout,
// the one address gets a 429 for every connection over the per-address
// cap, and the edge's RSS stays bounded.
func TestSlowClientsDoNotStopNormalClients(t *testing.T) {
	const oneAddr, manyAddr = 1000, 2000
	raiseFileLimit(t, oneAddr+manyAddr+1024)
	root := t.TempDir()
	writeJPEG(t, root, "acme", "photos/big.jpg", 1200, 800, 60)
	// A read timeout longer than the test: the connections stay open
	// while the normal client is measured.
	node := testenv.StartLoneEdge(t, "edge1", "dir:"+root, "--read-timeout", "60s")
	node.WaitReady(t, 60*time.Second)
	r := runSlowClients(t, node, oneAddr, manyAddr, 200)
	t.Logf("slow clients: %v", r)

	r.oneAddr.waitRefused(oneAddr-maxConnsPerIP, 10*time.Second)
	if got := r.oneAddr.refused.Load(); got < oneAddr-maxConnsPerIP {
		t.Errorf("one address: %d of %d connections answered 429, want at least %d (cap %d)", got, oneAddr, oneAddr-maxConnsPerIP, maxConnsPerIP)
	}
	if got := r.oneAddr.Open(); got > maxConnsPerIP {
		t.Errorf("one address holds %d connections, over the cap of %d", got, maxConnsPerIP)
	}
	if got := r.manyAddr.refused.Load() + r.manyAddr.closed.Load(); got != 0 {
		t.Errorf("many addresses (10 connections each): %d connections refused or closed, want 0", got)
	}
	for mode, d := range r.loaded {
		if p99 := quantile(d, 0.99); p99 > time.Second {
			t.Errorf("normal client (mode %d) p99 %v while slow clients are held, want ≤ 1s", mode, p99)
		}
	}
	if grown := r.rssMax - r.rssBefore; grown > 256<<20 {
		t.Errorf("edge RSS grew by %d MiB while %d connections were held, want ≤ 256 MiB", grown>>20, oneAddr+manyAddr)
	}
}
