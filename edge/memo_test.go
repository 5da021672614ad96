package edge

import (
	"fmt"
	"testing"
)

func TestMemoFindsNegotiatedRequestsByAccept(t *testing.T) {
	m := newRequestMemo(100)
	uri := []byte("/acme/cat.jpg?w=100&fm=auto")
	chrome, firefox := []byte("image/avif,image/webp,*/*"), []byte("image/webp,*/*")
	rc, rf := &request{vary: true, format: "avif"}, &request{vary: true, format: "webp"}
	m.put(uri, chrome, rc)
	m.put(uri, firefox, rf)
	if got := m.get(uri, chrome); got != rc {
		t.Errorf("Chrome's Accept: %+v", got)
	}
	if got := m.get(uri, firefox); got != rf {
		t.Errorf("Firefox's Accept: %+v", got)
	}
	if got := m.get(uri, []byte("*/*")); got != nil {
		t.Errorf("an Accept never seen: %+v", got)
	}
	if got := m.get(uri, nil); got != nil {
		t.Errorf("no Accept: %+v", got)
	}
	fixed := &request{format: "webp"}
	m.put([]byte("/acme/cat.jpg?w=100&fm=webp"), chrome, fixed)
	if got := m.get([]byte("/acme/cat.jpg?w=100&fm=webp"), firefox); got != fixed {
		t.Errorf("a fixed format depends on Accept: %+v", got)
	}
	if !rc.memoised || !rf.memoised || !fixed.memoised {
		t.Error("memoised requests not marked")
	}
}

func TestMemoBoundsAcceptsPerURIAndRequestsInAll(t *testing.T) {
	m := newRequestMemo(1000)
	uri := []byte("/acme/cat.jpg?fm=auto")
	for i := range maxAccepts + 5 {
		m.put(uri, fmt.Appendf(nil, "image/webp;v=%d", i), &request{vary: true})
	}
	for i := range maxAccepts + 5 {
		got := m.get(uri, fmt.Appendf(nil, "image/webp;v=%d", i))
		if (got != nil) != (i < maxAccepts) {
			t.Fatalf("Accept %d: found %v, table holds %d", i, got != nil, maxAccepts)
		}
	}
	if m.size != maxAccepts {
		t.Fatalf("size %d, want %d", m.size, maxAccepts)
	}
	// Requests in Accept tables count against the bound like URIs do.
	small := newRequestMemo(10)
	for i := range 10 {
		small.put(uri, fmt.Appendf(nil, "a%d", i), &request{vary: true})
	}
	small.put([]byte("/acme/other.jpg"), nil, &request{})
	if small.get(uri, []byte("a0")) != nil || small.get([]byte("/acme/other.jpg"), nil) == nil || small.size != 1 {
		t.Fatalf("a full memo did not start over (size %d)", small.size)
	}
}
