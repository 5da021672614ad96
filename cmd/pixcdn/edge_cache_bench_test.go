package main

import (
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"pixcdn/cachestore"
	"pixcdn/edge"
)

// BenchmarkCacheAdapterSet stores a 64 KiB variant through the edge's cache
// adapter into a memory-only store, cycling over 256 keys.
func BenchmarkCacheAdapterSet(b *testing.B) {
	c, e := benchCacheAdapter(b)
	keys := benchCacheKeys()
	b.SetBytes(int64(len(e.Body)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Set(keys[i%len(keys)], e, c.Guard(e.Image))
	}
}

// BenchmarkCacheAdapterGet reads a 64 KiB variant back through the adapter.
func BenchmarkCacheAdapterGet(b *testing.B) {
	c, e := benchCacheAdapter(b)
	keys := benchCacheKeys()
	for _, k := range keys {
		c.Set(k, e, c.Guard(e.Image))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := c.Get(keys[i%len(keys)]); !ok {
			b.Fatal("miss")
		}
	}
}

func benchCacheAdapter(b *testing.B) (cacheAdapter, edge.Entry) {
	cfg := cachestore.DefaultConfig()
	cfg.DiskBytes, cfg.MemoryBytes = 64<<20, 32<<20
	st, err := cachestore.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	now := time.Now()
	e := edge.Entry{
		Body: make([]byte, 64<<10), ContentType: "image/webp", ETag: `"3-x"`, LastModified: now,
		Created: now, FreshUntil: now.Add(time.Hour), StaleUntil: now.Add(2 * time.Hour),
		Image:  edge.ImageRef{Tenant: "acme", PublicID: "a/b.jpg", Version: 3, Tags: []string{"t"}},
		Policy: edge.Policy{MaxAge: time.Hour, SWR: time.Minute}, OriginETag: `"abc"`,
	}
	return cacheAdapter{st, slog.New(slog.NewTextHandler(io.Discard, nil))}, e
}

func benchCacheKeys() [][]byte {
	keys := make([][]byte, 256)
	for i := range keys {
		keys[i] = []byte("acme/a/b.jpg?w=" + strconv.Itoa(i))
	}
	return keys
}
