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
	if r != nil && r.vary {
		var buf [maxVaryKey]byte
		r = nil
		if len(accept)+len(uri) <= len(buf) {
			k := append(append(buf[:0], accept...), uri...)
			r = m.entries[string(k)]
		}
	}
	m.mu.RUnlock()
	return r
}

// put remembers r under uri; requests with a negotiated format are stored
// twice: a marker under uri alone, and r under accept+uri.
func (m *requestMemo) put(uri, accept []byte, r *request) {
	if r.vary && len(accept)+len(uri) > maxVaryKey {
		return // get could not find it
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) >= m.max {
		m.entries = make(map[string]*request, 1024)
		m.l0Bytes.Store(0) // the old requests, and their L0 slots, go
	}
	r.memoised = true
	if !r.vary {
		m.entries[string(uri)] = r
		return
	}
	m.entries[string(uri)] = varyMarker
	m.entries[string(accept)+string(uri)] = r
}

// maxVaryKey bounds Accept+URI keys, so get can build them on the stack.
const maxVaryKey = 512

// varyMarker says "this URI's key depends on Accept".
var varyMarker = &request{vary: true}

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
