package clustertest

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pixcdn/internal/localserver"
	"pixcdn/internal/testca"
	"pixcdn/internal/testenv"
)

// tlsEdge is a lone edge serving HTTPS on its public port with a
// certificate of a throwaway CA, and the plain-HTTP redirect.
type tlsEdge struct {
	node      *testenv.EdgeNode
	ca        *testca.CA
	certDir   string
	plainAddr string // --public-http
}

func startTLSEdge(t *testing.T, leafNames []string, args ...string) *tlsEdge {
	t.Helper()
	root := t.TempDir()
	writeJPEG(t, root, "acme", "photo.jpg", 640, 480, 90)
	e := &tlsEdge{ca: testca.New(t), certDir: t.TempDir()}
	cert, key := e.ca.Issue(t, leafNames...).WriteFiles(t, e.certDir)
	port, err := localserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	e.plainAddr = "127.0.0.1:" + strconv.Itoa(port)
	args = append([]string{"--tls-cert", cert, "--tls-key", key, "--public-http", e.plainAddr}, args...)
	e.node = testenv.StartLoneEdge(t, "edge1", "dir:"+root, args...)
	e.node.WaitReady(t, 30*time.Second)
	return e
}

// dial opens a TLS connection to the public port with cfg.
func (e *tlsEdge) dial(cfg *tls.Config) (*tls.Conn, error) {
	return tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", e.node.Public, cfg)
}

// getOn sends one keep-alive GET for path on c and returns the answer,
// its body read.
func getOn(t *testing.T, c net.Conn, path string) *http.Response {
	t.Helper()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// servedSerial is the serial number of the certificate the edge presents.
func (e *tlsEdge) servedSerial(t *testing.T) string {
	t.Helper()
	c, err := e.dial(e.ca.ClientConfig("127.0.0.1"))
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

// TestEdgeServesHTTPSResumesSessionsAndReloadsItsCertificate runs a real
// edge with --tls-cert/--tls-key: an image over HTTPS trusting only the
// test CA (TLS ≥ 1.2), resumed sessions, a new pair in use without a
// restart, a bad pair ignored, and plain HTTP redirected.
func TestEdgeServesHTTPSResumesSessionsAndReloadsItsCertificate(t *testing.T) {
	e := startTLSEdge(t, []string{"127.0.0.1", "localhost"})
	const path = "/acme/photo.jpg?w=200&fm=webp"

	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: e.ca.ClientConfig("127.0.0.1")}}
	resp, err := client.Get("https://" + e.node.Public + path)
	if err != nil {
		t.Fatalf("GET over HTTPS: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/webp" || len(body) == 0 {
		t.Fatalf("GET over HTTPS: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
	if resp.TLS.Version < tls.VersionTLS12 || resp.Proto != "HTTP/1.1" {
		t.Fatalf("TLS version %x, protocol %s", resp.TLS.Version, resp.Proto)
	}
	client.CloseIdleConnections()

	t.Run("old TLS refused", func(t *testing.T) {
		cfg := e.ca.ClientConfig("127.0.0.1")
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		if c, err := e.dial(cfg); err == nil {
			c.Close()
			t.Fatal("a TLS 1.1 handshake succeeded")
		}
	})
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run("resumption "+tls.VersionName(version), func(t *testing.T) {
			cfg := e.ca.ClientConfig("127.0.0.1")
			cfg.MinVersion, cfg.MaxVersion = version, version
			for i, wantResumed := range []bool{false, true} {
				c, err := e.dial(cfg)
				if err != nil {
					t.Fatalf("connection %d: %v", i+1, err)
				}
				// Reading an answer also reads a TLS 1.3 session ticket.
				if r := getOn(t, c, path); r.StatusCode != 200 {
					t.Fatalf("connection %d: %d", i+1, r.StatusCode)
				}
				if got := c.ConnectionState().DidResume; got != wantResumed {
					t.Fatalf("connection %d: DidResume %v, want %v", i+1, got, wantResumed)
				}
				c.Close()
			}
		})
	}
	t.Run("plain HTTP redirected", func(t *testing.T) {
		noFollow := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noFollow.Get("http://" + e.plainAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		_, port, _ := net.SplitHostPort(e.node.Public)
		want := "https://127.0.0.1:" + port + path
		if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
			t.Fatalf("plain HTTP: %d Location %q, want 308 %q", resp.StatusCode, resp.Header.Get("Location"), want)
		}
		// The redirect leads to the image.
		follow := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: e.ca.ClientConfig("127.0.0.1")}}
		resp, err = follow.Get("http://" + e.plainAddr + path)
		if err != nil || resp.StatusCode != 200 || resp.Request.URL.Scheme != "https" {
			t.Fatalf("following the redirect: %v %v", resp, err)
		}
		resp.Body.Close()
		// The TLS port does not answer plain HTTP.
		c, err := net.DialTimeout("tcp", e.node.Public, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path)
		if r, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil && r.StatusCode == 200 {
			t.Fatal("the TLS port served plain HTTP")
		}
	})

	t.Run("new certificate without restart", func(t *testing.T) {
		next := e.ca.Issue(t, "127.0.0.1", "reloaded.test")
		next.WriteFiles(t, e.certDir)
		want := next.Cert.SerialNumber.String()
		waitUntil(t, "the edge serves the new certificate", 10*time.Second, func() bool { return e.servedSerial(t) == want })
		cfg := e.ca.ClientConfig("reloaded.test")
		c, err := e.dial(cfg)
		if err != nil {
			t.Fatalf("handshake for the new name: %v", err)
		}
		c.Close()
	})

	t.Run("bad certificate keeps the one in use", func(t *testing.T) {
		inUse := e.servedSerial(t)
		if err := os.WriteFile(filepath.Join(e.certDir, "cert.pem"), []byte("-----BEGIN CERTIFICATE-----\nbroken\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the edge logs the bad pair", 10*time.Second, func() bool {
			log, _ := os.ReadFile(e.node.LogPath)
			return strings.Contains(string(log), "do not load")
		})
		if got := e.servedSerial(t); got != inUse {
			t.Fatalf("serving %s after a bad pair, want the one in use %s", got, inUse)
		}
	})
}

// TestConnectionCapCountsTLSConnections: with --max-conns-per-ip N, N
// TLS connections from one address are served and the next is closed
// before its handshake; closing one makes room again.
func TestConnectionCapCountsTLSConnections(t *testing.T) {
	const capacity = 3
	e := startTLSEdge(t, []string{"127.0.0.1"}, "--max-conns-per-ip", strconv.Itoa(capacity))
	cfg := e.ca.ClientConfig("127.0.0.1")
	cfg.ClientSessionCache = nil
	var open []*tls.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := range capacity {
		c, err := e.dial(cfg)
		if err != nil {
			t.Fatalf("connection %d of %d: %v", i+1, capacity, err)
		}
		open = append(open, c)
		if r := getOn(t, c, "/acme/photo.jpg"); r.StatusCode != 200 {
			t.Fatalf("connection %d: %d", i+1, r.StatusCode)
		}
	}
	if c, err := e.dial(cfg); err == nil {
		c.Close()
		t.Fatalf("connection %d over a cap of %d: handshake succeeded", capacity+1, capacity)
	}
	open[0].Close()
	open = slices.Delete(open, 0, 1)
	waitUntil(t, "a closed connection makes room", 10*time.Second, func() bool {
		c, err := e.dial(cfg)
		if err == nil {
			open = append(open, c)
		}
		return err == nil
	})
}

// waitUntil polls cond every 100 ms until it holds, or fails the test.
func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
	}
}
