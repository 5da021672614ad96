package urlmemo

import (
	"fmt"
	"testing"
)

type req struct{ name string }

var hints = &req{name: "hints marker"}

func TestFindsRequestsByVariant(t *testing.T) {
	m := New(100, hints)
	uri := []byte("/acme/cat.jpg?w=100&fm=auto")
	chrome, firefox := []byte("image/avif,image/webp,*/*"), []byte("image/webp,*/*")
	rc, rf := &req{"avif"}, &req{"webp"}
	m.Put(uri, chrome, rc, ByVariant)
	m.Put(uri, firefox, rf, ByVariant)
	if got := m.Get(uri, chrome); got != rc {
		t.Errorf("Chrome's Accept: %+v", got)
	}
	if got := m.Get(uri, firefox); got != rf {
		t.Errorf("Firefox's Accept: %+v", got)
	}
	if got := m.Get(uri, []byte("*/*")); got != nil {
		t.Errorf("an Accept never seen: %+v", got)
	}
	fixed := &req{"fixed"}
	m.Put([]byte("/acme/cat.jpg?w=100&fm=webp"), chrome, fixed, ByURI)
	if got := m.Get([]byte("/acme/cat.jpg?w=100&fm=webp"), firefox); got != fixed {
		t.Errorf("a URI-only request depends on the variant: %+v", got)
	}
}

func TestHintsMarker(t *testing.T) {
	m := New(100, hints)
	uri := []byte("/acme/cat.jpg?dpr=auto")
	dpr2 := &req{"dpr 2"}
	if !m.Put(uri, []byte("dpr=2"), dpr2, ByHints) {
		t.Fatal("not remembered")
	}
	if got := m.Get(uri, []byte("image/webp")); got != hints {
		t.Errorf("lookup by another variant: %+v, want the hints marker", got)
	}
	if got := m.Get(uri, []byte("dpr=2")); got != dpr2 {
		t.Errorf("lookup by its hints: %+v", got)
	}
}

func TestBoundsVariantsPerURIAndRequestsInAll(t *testing.T) {
	m := New(1000, hints)
	uri := []byte("/acme/cat.jpg?fm=auto")
	for i := range MaxVariants + 5 {
		if got, want := m.Put(uri, fmt.Appendf(nil, "image/webp;v=%d", i), &req{}, ByVariant), i < MaxVariants; got != want {
			t.Fatalf("Put of variant %d reported %v", i, got)
		}
	}
	for i := range MaxVariants + 5 {
		got := m.Get(uri, fmt.Appendf(nil, "image/webp;v=%d", i))
		if (got != nil) != (i < MaxVariants) {
			t.Fatalf("variant %d: found %v, a URI holds %d", i, got != nil, MaxVariants)
		}
	}
	if m.Len() != MaxVariants {
		t.Fatalf("size %d, want %d", m.Len(), MaxVariants)
	}
	small := New(10, hints)
	for i := range 10 {
		small.Put(uri, fmt.Appendf(nil, "a%d", i), &req{}, ByVariant)
	}
	small.Put([]byte("/acme/other.jpg"), nil, &req{}, ByURI)
	if small.Get(uri, []byte("a0")) != nil || small.Get([]byte("/acme/other.jpg"), nil) == nil || small.Len() != 1 {
		t.Fatalf("a full memo did not start over (size %d)", small.Len())
	}
}

func TestByteBudgetRenewsWhenTheMemoStartsOver(t *testing.T) {
	m := New(2, hints)
	for i := range 2 {
		if !m.AdmitBytes(100, 150) {
			t.Fatalf("refused within the budget (admission %d)", i)
		}
	}
	if m.AdmitBytes(1, 150) {
		t.Fatal("admitted over the budget")
	}
	if !m.AdmitBytes(-50, 150) {
		t.Fatal("refused bytes given back")
	}
	m.Put([]byte("/a"), nil, &req{}, ByURI)
	m.Put([]byte("/b"), nil, &req{}, ByURI)
	m.Put([]byte("/c"), nil, &req{}, ByURI) // starts over
	if !m.AdmitBytes(100, 150) {
		t.Fatal("budget not renewed when the memo started over")
	}
}

// BenchmarkGetNegotiated is the hit path's lookup of a negotiated URL.
func BenchmarkGetNegotiated(b *testing.B) {
	m := New(16384, hints)
	uri, accept := []byte("/acme/cats/tom.jpg?w=400&fm=auto"), []byte("image/avif,image/webp,*/*")
	for i := range 1000 {
		m.Put(fmt.Appendf(nil, "/acme/%d.jpg?w=400", i), nil, &req{}, ByURI)
	}
	m.Put(uri, []byte("image/webp,*/*"), &req{}, ByVariant)
	m.Put(uri, accept, &req{}, ByVariant)
	b.ReportAllocs()
	for b.Loop() {
		m.Get(uri, accept)
	}
}
