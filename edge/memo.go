package edge

import (
	"sync"
	"sync/atomic"
)

// requestMemo remembers parsed requests by their raw request URI (plus the
// raw Accept header when the format is negotiated, plus the rounded client
// hints (hintMemoKey) when the URL asks for them), so the hit path skips
// URL parsing, signature verification, option parsing and key building for
// URLs it has seen. Parsing is a pure function of those inputs and the
// immutable config, and memoised requests are never modified, so sharing
// them is safe. Bounded: when full, the memo starts over. Safe for
// concurrent use.
type requestMemo struct {
	mu      sync.RWMutex
	max     int
	entries map[string]memoSlot
	size    int // requests held (guarded by mu)
	// l0Bytes counts the bodies kept in requests' L0 slots since the last
	// reset; no more are kept beyond l0Budget.
	l0Bytes atomic.Int64
}

// l0Budget bounds the bodies the memo's requests keep alive (they may
// outlive their eviction from the cache until the memo resets), and
// l0MaxBody the size of one.
const (
	l0Budget  = 64 << 20
	l0MaxBody = 64 << 10
)

// admitL0 reports whether r may keep a body of n bytes in its L0 slot
// (r is memoised, the body small enough, the budget not spent), and if so
// counts it against the budget in place of the body the slot held.
func (m *requestMemo) admitL0(r *request, n int) bool {
	if !r.memoised || n > l0MaxBody || m.l0Bytes.Load() > l0Budget {
		return false
	}
	if old := r.l0.Load(); old != nil {
		n -= len(old.entry.Body)
	}
	m.l0Bytes.Add(int64(n))
	return true
}

func newRequestMemo(max int) *requestMemo {
	return &requestMemo{max: max, entries: make(map[string]memoSlot, 1024)}
}

// memoSlot is what the memo holds for one URI: its request, or, when the
// URI's format is negotiated, its requests by the Accept headers seen, or,
// when it uses client hints, usesHints and its requests by hintMemoKey.
type memoSlot struct {
	r        *request
	byAccept []acceptedRequest
}

// usesHints stands in a memo slot for the request of a URI whose requests
// depend on client hints: the caller looks again by hintMemoKey. It is
// never served.
var usesHints = &request{}

type acceptedRequest struct {
	accept string
	r      *request
}

// maxAccepts bounds a slot's Accept headers: browsers send a handful of
// distinct ones; requests with others are parsed every time.
const maxAccepts = 32

// find returns the slot's request for accept (the Accept header is
// ignored for a URI whose format is not negotiated).
func (s memoSlot) find(accept []byte) *request {
	for _, a := range s.byAccept {
		if a.accept == string(accept) {
			return a.r
		}
	}
	return s.r
}

// has reports whether the slot holds a request for accept.
func (s memoSlot) has(accept []byte) bool {
	for _, a := range s.byAccept {
		if a.accept == string(accept) {
			return true
		}
	}
	return false
}

// get looks up uri (and accept, for requests whose format is negotiated):
// one map lookup, then for a negotiated URI a compare of accept with the
// few Accept headers the URI has seen. For a URI that uses client hints it
// returns usesHints unless accept is a hintMemoKey it has seen. It does
// not allocate.
func (m *requestMemo) get(uri, accept []byte) *request {
	m.mu.RLock()
	r := m.entries[string(uri)].find(accept)
	m.mu.RUnlock()
	return r
}

// put remembers r under uri, and under accept too if r's format is
// negotiated or r is hinted (accept is then its hintMemoKey).
func (m *requestMemo) put(uri, accept []byte, r *request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.size >= m.max {
		m.entries, m.size = make(map[string]memoSlot, 1024), 0
		m.l0Bytes.Store(0) // the old requests, and their L0 slots, go
	}
	slot, known := m.entries[string(uri)]
	keyed := r.vary || r.hinted
	switch {
	case !keyed:
		slot.r = r
	case len(slot.byAccept) < maxAccepts && !slot.has(accept):
		slot.byAccept = append(slot.byAccept, acceptedRequest{string(accept), r})
		if r.hinted {
			slot.r = usesHints
		}
	default:
		return
	}
	if !known || keyed {
		m.size++
	}
	r.memoised = true
	m.entries[string(uri)] = slot
}

// policyMemo caches the rendered Cache-Control of the last policy seen:
// nearly every entry of a deployment shares one policy.
type policyMemo struct{ last atomic.Pointer[policyText] }

type policyText struct {
	p Policy
	h string
}

func (m *policyMemo) header(p Policy) string {
	if t := m.last.Load(); t != nil && t.p == p {
		return t.h
	}
	t := &policyText{p, p.Header()}
	m.last.Store(t)
	return t.h
}
