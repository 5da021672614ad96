package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"pixcdn/internal/testenv"
	"pixcdn/internal/tracing/tracingtest"
)

// TestTraceJoinsBrowserEdgeOwnerOrigin runs a real origin (PostgreSQL,
// MinIO) and three edges exporting their spans to an in-process OTLP/HTTP
// receiver, and sends a "browser" request carrying a W3C traceparent to
// the first edge for a variant another edge owns and no edge has the
// original of. One trace must join: the browser's span → the edge's server
// span → its forward → the owner's server span → an edge's origin fetch
// (client) → the origin's server span, with PostgreSQL and S3 spans under
// it. The tree is logged.
func TestTraceJoinsBrowserEdgeOwnerOrigin(t *testing.T) {
	testenv.SkipIfShort(t, "starts PostgreSQL, MinIO, an origin and three edges")
	rx := tracingtest.NewReceiver(t)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100") // milliseconds between exports, for the processes started below
	tracingFlags := []string{"--otlp-endpoint", rx.URL, "--trace-sample", "1"}
	origin := testenv.StartOriginStack(t, tracingFlags...)
	origin.CreateTenant(t, "acme")
	key := origin.EdgeKey(t)
	const images = 10
	for i := range images {
		origin.Put(t, "acme", fmt.Sprintf("traced/%d.png", i), tinyPNG(i))
	}
	c := testenv.StartEdgeCluster(t, testenv.EdgeClusterConfig{Nodes: 3, Origin: origin.URL,
		Args: append([]string{"--origin-key", key}, tracingFlags...)})
	entry := c.Nodes[0]

	// Each image is new to every edge; the first whose variant the entry
	// edge forwards (another edge owns it) is the one traced.
	for i := range images {
		traceID, browserSpan := randomHex(t, 16), randomHex(t, 8)
		cache := getTraced(t, entry.URL(fmt.Sprintf("/acme/traced/%d.png?w=24", i)), "00-"+traceID+"-"+browserSpan+"-01")
		if cache != "PEER" {
			continue
		}
		spans, err := waitJoinedTrace(rx, traceID, browserSpan, entry.Name)
		t.Logf("trace %s of GET /acme/traced/%d.png?w=24 (browser span %s):\n%s", traceID, i, browserSpan,
			tracingtest.Tree(spans, "pixcdn.cache", "http.response.status_code", "pixcdn.peer", "pixcdn.origin.result", "url.path"))
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("the entry edge forwarded none of %d images", images)
}

// getTraced GETs url with a traceparent header and returns its X-Cache.
func getTraced(t *testing.T, url, traceparent string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("traceparent", traceparent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return resp.Header.Get("X-Cache")
}

// waitJoinedTrace waits up to 20s for the receiver to hold the whole
// chain of traceID and returns its spans, or the link still missing.
func waitJoinedTrace(rx *tracingtest.Receiver, traceID, browserSpan, entryNode string) ([]tracingtest.Span, error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		spans := rx.Trace(traceID)
		err := checkJoinedTrace(spans, browserSpan, entryNode)
		if err == nil || time.Now().After(deadline) {
			return spans, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkJoinedTrace says which link of browser → edge → owner → origin
// (→ PostgreSQL, S3) spans lack.
func checkJoinedTrace(spans []tracingtest.Span, browserSpan, entryNode string) error {
	byID := map[string]tracingtest.Span{}
	for _, s := range spans {
		byID[s.SpanID] = s
	}
	under := func(s tracingtest.Span, ancestor string) bool {
		for p, ok := s, true; ok; p, ok = byID[p.ParentID] {
			if p.ParentID == ancestor {
				return true
			}
		}
		return false
	}
	find := func(what string, match func(s tracingtest.Span) bool) (tracingtest.Span, error) {
		for _, s := range spans {
			if match(s) {
				return s, nil
			}
		}
		return tracingtest.Span{}, fmt.Errorf("no %s in the trace", what)
	}
	edge, err := find("edge server span under the browser's", func(s tracingtest.Span) bool {
		return s.Service == "pixcdn-edge" && s.Instance == entryNode && s.Kind == "server" && s.ParentID == browserSpan &&
			s.Attrs["pixcdn.cache"] == "PEER"
	})
	if err != nil {
		return err
	}
	forward, err := find("forward (client span) under the edge's", func(s tracingtest.Span) bool {
		return s.Kind == "client" && s.ParentID == edge.SpanID && s.Name == "forward to owner"
	})
	if err != nil {
		return err
	}
	owner, err := find("owner's server span under the forward", func(s tracingtest.Span) bool {
		return s.Service == "pixcdn-edge" && s.Instance != entryNode && s.Kind == "server" && s.ParentID == forward.SpanID
	})
	if err != nil {
		return err
	}
	fetch, err := find("origin fetch (client span) under the owner's", func(s tracingtest.Span) bool {
		return s.Service == "pixcdn-edge" && s.Kind == "client" && strings.HasPrefix(s.Name, "origin ") && under(s, owner.SpanID)
	})
	if err != nil {
		return err
	}
	server, err := find("origin server span under the fetch", func(s tracingtest.Span) bool {
		return s.Service == "pixcdn-origin" && s.Kind == "server" && s.ParentID == fetch.SpanID &&
			strings.Contains(s.Attrs["url.path"], "/originals/")
	})
	if err != nil {
		return err
	}
	if _, err := find("PostgreSQL span under the origin's", func(s tracingtest.Span) bool {
		return strings.HasPrefix(s.Name, "postgres ") && under(s, server.SpanID)
	}); err != nil {
		return err
	}
	_, err = find("S3 span under the origin's", func(s tracingtest.Span) bool {
		return strings.HasPrefix(s.Name, "S3 ") && s.Kind == "client" && under(s, server.SpanID)
	})
	return err
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
