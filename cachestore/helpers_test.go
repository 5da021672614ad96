package cachestore

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"
)

// testConfig is a small on-disk (or, with dir "", in-memory) store whose
// background loops stay out of the way unless a test calls them.
func testConfig(dir string) Config {
	cfg := DefaultConfig()
	cfg.Dir = dir
	cfg.DiskBytes = 64 << 20
	cfg.MemoryBytes = 4 << 20
	cfg.BlockCacheBytes = 4 << 20
	cfg.IndexCacheBytes = 2 << 20
	cfg.GCInterval = time.Hour
	cfg.SweepInterval = time.Hour
	cfg.SweepDelay = 0
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

func openStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// body returns deterministic content for key i of size n, so a reader can
// tell whether what it got back is what was written.
func body(i, version, n int) []byte {
	b := make([]byte, n)
	seed := fmt.Appendf(nil, "%d/%d:", i, version)
	for j := range b {
		b[j] = seed[j%len(seed)] ^ byte(j>>8)
	}
	return b
}

func testEntry(tenant, id string, tags []string, b []byte) Entry {
	now := time.Now()
	return Entry{
		Body: b, ContentType: "image/webp", ETag: `"v1"`,
		LastModified: now.Add(-time.Hour).Truncate(time.Second), Created: now,
		FreshUntil: now.Add(time.Hour), StaleUntil: now.Add(2 * time.Hour),
		Image: ImageRef{Tenant: tenant, PublicID: id, Version: 1, Tags: tags},
	}
}

func mustSet(t testing.TB, s *Store, key string, e Entry) {
	t.Helper()
	if err := s.Set([]byte(key), e, s.Snapshot()); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

// landed waits until the queued disk write of key, if any, has been
// applied to Badger, for tests that read Badger directly.
func landed(s *Store, key string) {
	s.disk().lockKeys([]uint64{hashKey([]byte(key))})()
}

func wantBody(t testing.TB, s *Store, key string, want []byte) {
	t.Helper()
	got, ok := s.Get([]byte(key))
	if !ok {
		t.Fatalf("Get(%q): miss, want hit", key)
	}
	if !bytes.Equal(got.Body, want) {
		t.Fatalf("Get(%q): body differs (%d bytes, want %d)", key, len(got.Body), len(want))
	}
}

func wantMiss(t testing.TB, s *Store, key string) {
	t.Helper()
	if _, ok := s.Get([]byte(key)); ok {
		t.Fatalf("Get(%q): hit, want miss", key)
	}
}
