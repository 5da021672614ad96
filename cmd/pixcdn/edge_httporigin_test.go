package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"pixcdn/contract"
	"pixcdn/edge"
	"pixcdn/edge/guarded"
)

// An origin refusing ids (4xx) must never trip the edge's breaker nor be
// retried; only its faults (5xx) count.
func TestOriginRefusalsAreNotOriginFailures(t *testing.T) {
	var requests atomic.Int64
	var status atomic.Int64
	status.Store(http.StatusBadRequest)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "public id contains '%'", int(status.Load()))
	}))
	defer srv.Close()
	o, err := newHTTPOrigin(&edgeSettings{Origin: srv.URL, OriginTimeout: 5e9, MaxOriginal: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	g, err := guarded.New(o, guarded.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 40 {
		_, err := g.Fetch(ctx, "acme", "x", "")
		if !errors.Is(err, contract.ErrInvalidID) || errors.Is(err, edge.ErrOrigin) {
			t.Fatalf("a 400 from the origin gave %v, want contract.ErrInvalidID and not edge.ErrOrigin", err)
		}
	}
	if n := requests.Load(); n != 40 {
		t.Fatalf("40 refused fetches made %d origin requests (retried?)", n)
	}
	if g.Open() {
		t.Fatal("refusals opened the breaker")
	}
	status.Store(http.StatusInternalServerError)
	for range guarded.DefaultConfig().FailureThreshold {
		if _, err := g.Fetch(ctx, "acme", "x", ""); !errors.Is(err, edge.ErrOrigin) {
			t.Fatalf("a 500 gave %v, want edge.ErrOrigin", err)
		}
	}
	if !g.Open() {
		t.Fatal("origin 500s did not open the breaker")
	}
}
