package negcache

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

var errGone = errors.New("gone")

func TestRemembersUntilExpiry(t *testing.T) {
	c := New(8)
	now := time.Now()
	if _, ok := c.Get([]byte("a"), now); ok {
		t.Fatal("empty cache answered")
	}
	c.Add([]byte("a"), now.Add(time.Second), errGone)
	if err, ok := c.Get([]byte("a"), now); !ok || err != errGone {
		t.Fatalf("before expiry: %v %v", err, ok)
	}
	if c.Has([]byte("a"), now.Add(time.Second)) {
		t.Fatal("still remembered at its expiry")
	}
	if c.Len() != 0 {
		t.Fatalf("expired entry kept: %d", c.Len())
	}
}

func TestBoundedAndClearable(t *testing.T) {
	c := New(4)
	now := time.Now()
	for i := range 100 {
		c.Add([]byte(strconv.Itoa(i)), now.Add(time.Minute), errGone)
		if c.Len() > 4 {
			t.Fatalf("holds %d entries, bound 4", c.Len())
		}
	}
	if !c.Has([]byte("99"), now) {
		t.Fatal("newest entry dropped")
	}
	c.Add([]byte("soon"), now.Add(time.Second), errGone)
	c.Add([]byte("late"), now.Add(time.Hour), errGone)
	if c.Has([]byte("soon"), now) || !c.Has([]byte("late"), now) {
		t.Fatal("made room by dropping other than the entry expiring first")
	}
	c.Add([]byte("99"), now.Add(time.Minute), errGone) // replacing drops nothing
	if c.Len() != 4 {
		t.Fatalf("replacing an entry changed the size to %d", c.Len())
	}
	c.Clear()
	if c.Has([]byte("99"), now) || c.Len() != 0 {
		t.Fatal("Clear kept entries")
	}
}

// BenchmarkGetEmpty is the hit path's cost: a lookup while nothing is
// remembered.
func BenchmarkGetEmpty(b *testing.B) {
	c, key, now := New(1024), []byte("acme/cats/tom.jpg"), time.Now()
	b.ReportAllocs()
	for b.Loop() {
		c.Get(key, now)
	}
}

// BenchmarkGet looks up one of 1,000 remembered keys.
func BenchmarkGet(b *testing.B) {
	c, now := New(1024), time.Now()
	for i := range 1000 {
		c.Add([]byte("acme/"+strconv.Itoa(i)), now.Add(time.Hour), errGone)
	}
	key := []byte("acme/500")
	b.ReportAllocs()
	for b.Loop() {
		c.Get(key, now)
	}
}
