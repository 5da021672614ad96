package cachestore

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		ok     bool
	}{
		{"default", func(*Config) {}, true},
		{"tiny disk", func(c *Config) { c.DiskBytes = 1 << 20 }, false},
		{"negative memory", func(c *Config) { c.MemoryBytes = -1 }, false},
		{"no memory tier", func(c *Config) { c.MemoryBytes = 0 }, true},
		{"tiny block cache", func(c *Config) { c.BlockCacheBytes = 1 }, false},
		{"tiny memtable", func(c *Config) { c.MemTableBytes = 1024 }, false},
		{"huge segment", func(c *Config) { c.SegmentBytes = 2 << 30 }, false},
		{"tiny segment", func(c *Config) { c.SegmentBytes = 1 << 10 }, false},
		{"zero GC interval", func(c *Config) { c.GCInterval = 0 }, false},
		{"discard ratio 1", func(c *Config) { c.GCDiscardRatio = 1 }, false},
		{"zero sweep interval", func(c *Config) { c.SweepInterval = 0 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.modify(&c)
			err := c.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
		})
	}
}

func TestGetSet(t *testing.T) {
	tiers := map[string]func(t *testing.T) Config{
		"memory+disk": func(t *testing.T) Config { return testConfig(t.TempDir()) },
		"disk only": func(t *testing.T) Config {
			c := testConfig(t.TempDir())
			c.MemoryBytes = 0
			return c
		},
		"in-memory badger": func(*testing.T) Config { return testConfig("") },
	}
	for name, cfgFor := range tiers {
		t.Run(name, func(t *testing.T) {
			s := openStore(t, cfgFor(t))
			e := testEntry("acme", "cats/tom.jpg", []string{"summer", "cats"}, body(1, 1, 5000))
			mustSet(t, s, "k1", e)
			got, ok := s.Get([]byte("k1"))
			if !ok {
				t.Fatal("miss after Set")
			}
			assertSameEntry(t, got, e)
			withMeta := testEntry("acme", "cats/tom.jpg", nil, body(2, 1, 300))
			withMeta.Meta = []byte("the caller's own header")
			mustSet(t, s, "k4", withMeta)
			if got, ok := s.Get([]byte("k4")); !ok {
				t.Fatal("miss after Set with Meta")
			} else {
				assertSameEntry(t, got, withMeta)
			}
			wantMiss(t, s, "k2")
			wantMiss(t, s, "")

			expired := testEntry("acme", "x", nil, []byte("x"))
			expired.FreshUntil, expired.StaleUntil = time.Now().Add(-time.Minute), time.Time{}
			if err := s.Set([]byte("k3"), expired, s.Snapshot()); !errors.Is(err, ErrExpired) {
				t.Fatalf("Set(expired) = %v, want ErrExpired", err)
			}
			if err := s.Set(nil, e, s.Snapshot()); !errors.Is(err, ErrEmptyKey) {
				t.Fatalf("Set(nil key) = %v, want ErrEmptyKey", err)
			}
			if err := s.Delete([]byte("k1")); err != nil {
				t.Fatal(err)
			}
			wantMiss(t, s, "k1")
		})
	}
}

func assertSameEntry(t *testing.T, got, want Entry) {
	t.Helper()
	switch {
	case string(got.Body) != string(want.Body):
		t.Error("Body differs")
	case string(got.Meta) != string(want.Meta):
		t.Errorf("Meta %q, want %q", got.Meta, want.Meta)
	case got.ContentType != want.ContentType || got.ETag != want.ETag:
		t.Errorf("headers %q %q, want %q %q", got.ContentType, got.ETag, want.ContentType, want.ETag)
	case !got.LastModified.Equal(want.LastModified) || !got.Created.Equal(want.Created) ||
		!got.FreshUntil.Equal(want.FreshUntil) || !got.StaleUntil.Equal(want.StaleUntil):
		t.Errorf("times %+v, want %+v", got, want)
	case got.Image.Tenant != want.Image.Tenant || got.Image.PublicID != want.Image.PublicID ||
		got.Image.Version != want.Image.Version || !slices.Equal(got.Image.Tags, want.Image.Tags):
		t.Errorf("image %+v, want %+v", got.Image, want.Image)
	}
}

// TestSetCopiesInput checks that the store owns what it keeps: the caller
// may reuse its buffers once Set returns.
func TestSetCopiesInput(t *testing.T) {
	s := openStore(t, testConfig(t.TempDir()))
	key, b, tags := []byte("k"), []byte("original"), []string{"a"}
	e := testEntry("t", "i", tags, b)
	if err := s.Set(key, e, s.Snapshot()); err != nil {
		t.Fatal(err)
	}
	copy(b, "CHANGED!")
	tags[0] = "z"
	key[0] = 'x'
	got, ok := s.Get([]byte("k"))
	if !ok || string(got.Body) != "original" || got.Image.Tags[0] != "a" {
		t.Fatalf("store kept caller's buffers: ok=%v body=%q tags=%v", ok, got.Body, got.Image.Tags)
	}
}

func TestStaleIsServedExpiredIsNot(t *testing.T) {
	cfg := testConfig(t.TempDir())
	now := time.Now()
	cfg.Now = func() time.Time { return now }
	s := openStore(t, cfg)
	e := testEntry("t", "i", nil, []byte("b"))
	e.FreshUntil, e.StaleUntil = now.Add(time.Minute), now.Add(time.Hour)
	mustSet(t, s, "k", e)
	now = now.Add(30 * time.Minute)
	got, ok := s.Get([]byte("k"))
	if stale := now.After(got.FreshUntil); !ok || !stale {
		t.Fatalf("at +30m: ok=%v stale=%v, want stale hit", ok, stale)
	}
	now = now.Add(time.Hour)
	wantMiss(t, s, "k")
}

func TestMemoryBudget(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MemoryBytes = 1 << 20
	s := openStore(t, cfg)
	for i := 0; i < 200; i++ {
		mustSet(t, s, string(rune('a'+i%26))+string(rune(i)), testEntry("t", "i", nil, body(i, 0, 16<<10)))
	}
	st := s.Stats()
	if st.Memory.Bytes > cfg.MemoryBytes || st.Memory.Evictions == 0 {
		t.Fatalf("memory tier %+v over %d bytes or never evicted", st.Memory, cfg.MemoryBytes)
	}
	if st.Disk.Entries != 200 {
		t.Fatalf("disk tier holds %d entries, want 200", st.Disk.Entries)
	}
}

func TestTooLarge(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.DiskBytes = 16 << 20
	s := openStore(t, cfg)
	err := s.Set([]byte("big"), testEntry("t", "i", nil, make([]byte, 12<<20)), s.Snapshot())
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Set(12 MiB) = %v, want ErrTooLarge", err)
	}
	wantMiss(t, s, "big")
}

func TestCloseIsIdempotent(t *testing.T) {
	s, err := New(testConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, "k", testEntry("t", "i", nil, []byte("b")))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	wantMiss(t, s, "k")
	if err := s.Set([]byte("k"), testEntry("t", "i", nil, []byte("b")), 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Set after Close = %v, want ErrClosed", err)
	}
	if err := s.Purge(Purge{All: true}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Purge after Close = %v, want ErrClosed", err)
	}
}
