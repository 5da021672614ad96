package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"pixcdn/cachestore"
	"pixcdn/edge"
	"pixcdn/edge/eventfeed"
)

func TestEdgeEntryRoundTripsThroughCachestore(t *testing.T) {
	cfg := cachestore.DefaultConfig()
	cfg.DiskBytes, cfg.MemoryBytes = 32<<20, 8<<20
	st, err := cachestore.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := cacheAdapter{st, slog.New(slog.NewTextHandler(io.Discard, nil))}
	now := time.Now().Truncate(time.Second)
	in := edge.Entry{
		Body: []byte("webp bytes"), ContentType: "image/webp", ETag: `"3-x"`, LastModified: now.Add(-time.Hour),
		Created: now, FreshUntil: now.Add(time.Minute), StaleUntil: now.Add(time.Hour),
		Image:  edge.ImageRef{Tenant: "acme", PublicID: "a/b.jpg", Version: 3, Tags: []string{"t"}, Signed: true},
		Policy: edge.Policy{MaxAge: time.Minute, SWR: 30 * time.Second, SIE: time.Hour, Private: true}, OriginETag: `"abc"`,
	}
	c.Set([]byte("k"), in, c.Guard(in.Image))
	out, ok := c.Get([]byte("k"))
	if !ok || !bytes.Equal(out.Body, in.Body) || out.Policy != in.Policy || out.OriginETag != in.OriginETag ||
		!out.Image.Signed || out.ETag != in.ETag || !out.FreshUntil.Equal(in.FreshUntil) {
		t.Fatalf("round trip:\n in  %+v\n out %+v", in, out)
	}
	g := c.Guard(in.Image)
	c.Purge(edge.Purge{Tenant: "acme", Tags: []string{"t"}})
	if _, ok := c.Get([]byte("k")); ok {
		t.Fatal("purged entry still served")
	}
	if n := c.Stats().PurgeScopes; n != 1 {
		t.Fatalf("Stats().PurgeScopes = %d after one tag purge, want 1", n)
	}
	c.Set([]byte("k"), in, g) // a fill that started before the purge
	if _, ok := c.Get([]byte("k")); ok {
		t.Fatal("fill started before the purge resurrected the entry")
	}
}

func TestFeedPositionIsWrittenAgainWhenTheCacheDirIsRecreated(t *testing.T) {
	cacheDir := filepath.Join(t.TempDir(), "cache")
	n := &edgeNode{}
	pos := &feedPosition{file: eventfeed.FileSeq{Path: filepath.Join(cacheDir, "feed.seq")}}
	n.feed.Store(pos)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := cachestore.DefaultConfig()
	cfg.Dir, cfg.DiskBytes, cfg.MemoryBytes, cfg.Logger = filepath.Join(cacheDir, "store"), 16<<20, 1<<20, log
	cfg.HealthInterval = 50 * time.Millisecond
	cfg.OnReopen = func() { n.restoreFeedPosition(log) }
	st, err := cachestore.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := pos.Save(42); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(cacheDir); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if h := st.Health(); h.OK() && h.Reopens == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cache not reopened: %+v", st.Health())
		}
	}
	if seq, err := (eventfeed.FileSeq{Path: pos.file.Path}).Load(); err != nil || seq != 42 {
		t.Fatalf("feed position after the cache directory was recreated: %d, %v; want 42", seq, err)
	}
}
