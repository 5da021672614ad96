package hotcache

import (
	"strconv"
	"testing"
	"time"
)

func TestKeepsOnTheSecondSightingForTheShorterTTL(t *testing.T) {
	c := New[string](4, 10, time.Minute)
	now := time.Now()
	key := []byte("k")
	if c.Admit(key) {
		t.Fatal("admitted on the first sighting")
	}
	if !c.Admit(key) {
		t.Fatal("not admitted on the second sighting")
	}
	c.Put(key, "v", 1, 5*time.Second, now)
	if v, ok := c.Get(key, now.Add(4*time.Second)); !ok || v != "v" {
		t.Fatalf("kept value: %q %v", v, ok)
	}
	if c.Admit(key) {
		t.Fatal("a kept key admitted again")
	}
	if _, ok := c.Get(key, now.Add(5*time.Second)); ok {
		t.Fatal("kept past its freshness")
	}
}

func TestRefusesLargeAndStaleValues(t *testing.T) {
	c := New[string](4, 10, time.Minute)
	now := time.Now()
	c.Put([]byte("big"), "v", 11, time.Minute, now)
	c.Put([]byte("stale"), "v", 1, 0, now)
	if _, ok := c.Get([]byte("big"), now); ok {
		t.Error("kept a value over the size bound")
	}
	if _, ok := c.Get([]byte("stale"), now); ok {
		t.Error("kept a value with no freshness left")
	}
}

func TestBoundedAndPurged(t *testing.T) {
	c := New[int](3, 10, time.Minute)
	now := time.Now()
	for i := range 10 {
		c.Put([]byte(strconv.Itoa(i)), i, 1, time.Minute, now)
	}
	kept := 0
	for i := range 10 {
		if _, ok := c.Get([]byte(strconv.Itoa(i)), now); ok {
			kept++
		}
	}
	if kept != 3 {
		t.Fatalf("%d values kept, bound 3", kept)
	}
	c.Purge(func(int) bool { return true })
	for i := range 10 {
		if _, ok := c.Get([]byte(strconv.Itoa(i)), now); ok {
			t.Fatalf("value %d survived the purge", i)
		}
	}
}

func TestNilCacheIsDisabled(t *testing.T) {
	var c *Cache[string]
	c.Put([]byte("k"), "v", 1, time.Minute, time.Now())
	if c.Admit([]byte("k")) {
		t.Error("a nil cache admitted")
	}
	if _, ok := c.Get([]byte("k"), time.Now()); ok {
		t.Error("a nil cache answered")
	}
	c.Purge(func(string) bool { return true })
}

// BenchmarkGet is a non-owner's hot-copy hit.
func BenchmarkGet(b *testing.B) {
	c, now := New[[]byte](1024, 1<<20, time.Minute), time.Now()
	for i := range 1000 {
		c.Put([]byte("acme/"+strconv.Itoa(i)), []byte("body"), 4, time.Minute, now)
	}
	key := []byte("acme/500")
	b.ReportAllocs()
	for b.Loop() {
		c.Get(key, now)
	}
}
