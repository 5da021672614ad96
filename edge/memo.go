package edge

import (
	"sync"
	"sync/atomic"
)

// requestMemo remembers parsed requests by their raw request URI (plus the
// raw Accept header when the format is negotiated), so the hit path skips
// URL parsing, signature verification, option parsing and key building for
// URLs it has seen. Parsing is a pure function of those inputs and the
// immutable config, and memoised requests are never modified, so sharing
// them is safe. Bounded: when full, the memo starts over. Safe for
// concurrent use.
type requestMemo struct {
	mu      sync.RWMutex
	max     int
	entries map[string]*request
	size    int // requests held, in entries and Accept tables (guarded by mu)
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
	return &requestMemo{max: max, entries: make(map[string]*request, 1024)}
}

// get looks up uri (and accept, for requests whose format is negotiated).
// It does not allocate.
func (m *requestMemo) get(uri, accept []byte) *request {
	m.mu.RLock()
	r := m.entries[string(uri)]
	if r != nil && r.accepts != nil {
		r = r.accepts.find(accept)
	}
	m.mu.RUnlock()
	return r
}

// put remembers r under uri. A request whose format is negotiated goes
// into the Accept table of the URI's marker: one map lookup finds the URI,
// and a browser's Accept is found among the few a URI sees by comparing
// it, without hashing it with the URI for a second lookup.
func (m *requestMemo) put(uri, accept []byte, r *request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.size >= m.max {
		m.entries, m.size = make(map[string]*request, 1024), 0
		m.l0Bytes.Store(0) // the old requests, and their L0 slots, go
	}
	if !r.vary {
		if m.entries[string(uri)] == nil {
			m.size++
		}
		r.memoised = true
		m.entries[string(uri)] = r
		return
	}
	marker := m.entries[string(uri)]
	if marker == nil || marker.accepts == nil {
		marker = &request{vary: true, accepts: &acceptTable{}}
		m.entries[string(uri)] = marker
	}
	if marker.accepts.add(accept, r) {
		m.size++
		r.memoised = true
	}
}

// acceptTable maps the Accept headers seen for one negotiated URI to their
// requests. Guarded by the memo's lock.
type acceptTable struct {
	accepts []string
	reqs    []*request
}

// maxAccepts bounds an acceptTable: browsers send a handful of distinct
// Accept headers; requests with others are parsed every time.
const maxAccepts = 32

func (t *acceptTable) find(accept []byte) *request {
	for i, a := range t.accepts {
		if a == string(accept) {
			return t.reqs[i]
		}
	}
	return nil
}

// add remembers r under accept and reports whether it did.
func (t *acceptTable) add(accept []byte, r *request) bool {
	if t.find(accept) != nil || len(t.accepts) >= maxAccepts {
		return false
	}
	t.accepts = append(t.accepts, string(accept))
	t.reqs = append(t.reqs, r)
	return true
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
