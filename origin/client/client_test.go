package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The contract against a real origin is tested in package origin
// (TestClientAgainstOrigin); these cover the client's own edges with a
// stand-in server.

func TestFetchCapsStreamedBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.EscapedPath() != "/v1/acme/originals/a%20b/c%3Fd.png" {
			t.Errorf("path %s", r.URL.EscapedPath())
		}
		w.Header().Set("ETag", `"x"`)
		w.WriteHeader(http.StatusOK)
		for range 10 {
			w.Write([]byte(strings.Repeat("z", 100)))
			w.(http.Flusher).Flush() // chunked: no Content-Length
		}
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Timeout: time.Second, MaxBytes: 999})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.FetchOriginal(context.Background(), "acme", "a b/c?d.png", ""); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("999-byte cap on 1000 streamed bytes: %v", err)
	}
	c.cfg.MaxBytes = 1000
	o, err := c.FetchOriginal(context.Background(), "acme", "a b/c?d.png", "")
	if err != nil || len(o.Body) != 1000 || o.ETag != `"x"` {
		t.Fatalf("at the cap: %d bytes, %v", len(o.Body), err)
	}
}

func TestStatusErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusBadGateway)
	}))
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL, Timeout: time.Second, MaxBytes: 10})
	_, err := c.FetchOriginal(context.Background(), "acme", "a", "")
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusBadGateway || se.Body != "boom" {
		t.Fatalf("502: %v", err)
	}
	if _, err := c.Events(context.Background(), 0, 0); !errors.As(err, &se) {
		t.Fatalf("events 502: %v", err)
	}
	for _, bad := range []Config{{BaseURL: "ftp://x", Timeout: 1, MaxBytes: 1}, {BaseURL: "http://x", MaxBytes: 1}, {BaseURL: "http://x", Timeout: 1}} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%+v) accepted", bad)
		}
	}
}
