package origin_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"pixcdn/internal/testenv"
	"pixcdn/origin"
)

// TestFaultPostgresRestartDuringUploads: PostgreSQL stops (fast shutdown)
// and starts again on the same port while four writers upload by PUT and
// tus. Every answer is a 2xx or a fast 503 naming the catalog with
// Retry-After; every acknowledged upload reads back byte for byte; uploads
// succeed again without restarting the origin.
func TestFaultPostgresRestartDuringUploads(t *testing.T) {
	pg := testenv.NewPrivatePostgres(t)
	h := newFaultHarness(t, pg.DSN, testenv.MinIO(t))
	_, editor, _ := h.tenant("acme")
	got := outageRun(t, h, editor, "catalog unavailable", pg.Stop, pg.Start)
	checkUploadsReadable(t, h, editor, got)
	checkEveryRowHasBytes(t, h, "acme")
}

// TestFaultMinIODownDuringUploads: MinIO stops and starts again on the
// same port while four writers upload by PUT and tus. Every answer is a
// 2xx or a fast 503 naming the blob store with Retry-After; afterwards no
// catalog row points at missing bytes, every acknowledged upload reads
// back byte for byte, and uploads succeed again.
func TestFaultMinIODownDuringUploads(t *testing.T) {
	m := testenv.NewPrivateMinIO(t)
	h := newFaultHarness(t, testenv.Postgres(t), m.Server)
	_, editor, _ := h.tenant("acme")
	got := outageRun(t, h, editor, "blob store unavailable", m.Stop, m.Start)
	checkEveryRowHasBytes(t, h, "acme")
	checkUploadsReadable(t, h, editor, got)
}

// TestFaultLargePutWhilePostgresDown: a 30 MiB PUT sent whole, without
// waiting for 100 Continue, while PostgreSQL is down gets a 503 the client
// reads after sending its body, never a reset connection: refused before
// the body is read (a key the origin must look up) or after (the bootstrap
// key, whose upload is spooled before the commit fails); a client waiting
// for 100 Continue gets the 503 without sending the body.
func TestFaultLargePutWhilePostgresDown(t *testing.T) {
	pg := testenv.NewPrivatePostgres(t)
	h := newFaultHarness(t, pg.DSN, testenv.MinIO(t), func(c *origin.Config) { c.KeyCacheTTL = 0 })
	_, editor, _ := h.tenant("acme")
	body := append(pngImage(t, 64, 64, 7), make([]byte, 30<<20)...)
	pg.Stop()
	for _, c := range []struct{ name, key string }{
		{"refused at authentication", editor},
		{"refused at commit", adminKey},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			resp, answer := rawPut(t, h.srv.Listener.Addr().String(), "/v1/acme/images/big.png", c.key, body)
			t.Logf("%d bytes sent, then %d %q (Retry-After %q, Connection %q) after %v",
				len(body), resp.StatusCode, answer, resp.Header.Get("Retry-After"), resp.Header.Get("Connection"), time.Since(start).Round(time.Millisecond))
			if resp.StatusCode != http.StatusServiceUnavailable || answer != "catalog unavailable" || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("got %d %q, want 503 \"catalog unavailable\" with Retry-After", resp.StatusCode, answer)
			}
		})
	}
	t.Run("refused before 100 Continue", func(t *testing.T) {
		start := time.Now()
		resp, answer := rawPutExpecting(t, h.srv.Listener.Addr().String(), "/v1/acme/images/big.png", editor, len(body))
		t.Logf("no body sent, then %d %q (Connection %q) after %v", resp.StatusCode, answer, resp.Header.Get("Connection"), time.Since(start).Round(time.Millisecond))
		if resp.StatusCode != http.StatusServiceUnavailable || answer != "catalog unavailable" {
			t.Fatalf("got %d %q, want 503 \"catalog unavailable\"", resp.StatusCode, answer)
		}
	})
}

// rawPutExpecting sends a PUT's head with "Expect: 100-continue" and reads
// the answer without sending the body, as curl does for its first second.
// An answer that waits for the body fails t.
func rawPutExpecting(t *testing.T, addr, path, key string, size int) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	head := fmt.Sprintf("PUT %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: image/png\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
		path, addr, key, size)
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer without sending the body: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer's body: %v", err)
	}
	return resp, string(bytes.TrimSpace(b))
}

// rawPut sends a PUT over a fresh connection, the whole body before reading
// anything (as a client without Expect: 100-continue does), then reads the
// answer. A failed write fails t: the server closed the connection on an
// unread body.
func rawPut(t *testing.T, addr, path, key string, body []byte) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	head := fmt.Sprintf("PUT %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n",
		path, addr, key, len(body))
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	if n, err := conn.Write(body); err != nil {
		t.Fatalf("sending the body: %v after %d of %d bytes (the server dropped the connection)", err, n, len(body))
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer's body: %v", err)
	}
	return resp, string(bytes.TrimSpace(b))
}
