// Package urlmemo remembers parsed requests by their raw request URI, so a
// server's hit path can skip parsing URLs it has seen. A URI whose parse
// depends on a request header (the Accept header of a negotiated format,
// or the client hints of dpr=auto and w=auto) is remembered by that
// header's value too: the caller passes it as the variant.
package urlmemo

import (
	"sync"
	"sync/atomic"
)

// Kind says what a remembered request depends on besides its URI.
type Kind uint8

// Kinds.
const (
	// ByURI: the URI alone decides the request; the variant is ignored.
	ByURI Kind = iota
	// ByVariant: the request depends on the variant (e.g. Accept).
	ByVariant
	// ByHints: the request depends on client hints; the variant is the
	// caller's key for them. A lookup by any other variant returns the
	// Memo's hints marker, telling the caller to read the hints and look
	// again.
	ByHints
)

// MaxVariants bounds the variants remembered per URI: browsers send a
// handful of distinct Accept headers; requests with others are parsed
// every time.
const MaxVariants = 32

// Memo maps URIs (and variants) to requests of type R, which must not be
// modified once remembered (they are shared). It is bounded in requests:
// when full, it starts over. It also keeps a byte budget for what its
// requests hold alive (AdmitBytes), renewed when it starts over. Safe for
// concurrent use.
type Memo[R comparable] struct {
	mu      sync.RWMutex
	max     int
	entries map[string]slot[R]
	size    int // requests held (guarded by mu)
	marker  R
	bytes   atomic.Int64
}

// slot is what the memo holds for one URI: its request, or its requests
// by variant (with r the hints marker for a URI that uses hints).
type slot[R comparable] struct {
	r         R
	byVariant []variantRequest[R]
}

type variantRequest[R comparable] struct {
	variant string
	r       R
}

// New returns a Memo of at most max requests. hintsMarker is what Get
// returns for a URI remembered ByHints looked up by an unknown variant;
// it must differ from every request and from the zero R.
func New[R comparable](max int, hintsMarker R) *Memo[R] {
	return &Memo[R]{max: max, entries: make(map[string]slot[R], 1024), marker: hintsMarker}
}

// Get returns the request remembered for uri (and variant, for a URI
// remembered by variant), the hints marker (see ByHints), or the zero R.
// One map lookup, then for a URI with variants a compare with each; it
// does not allocate.
func (m *Memo[R]) Get(uri, variant []byte) R {
	m.mu.RLock()
	s := m.entries[string(uri)]
	m.mu.RUnlock()
	for _, v := range s.byVariant {
		if v.variant == string(variant) {
			return v.r
		}
	}
	return s.r
}

// Put remembers r under uri, and under variant too unless kind is ByURI.
// It reports whether r was remembered: not when the URI already has
// MaxVariants variants or this one. Starting over when full renews the
// byte budget.
func (m *Memo[R]) Put(uri, variant []byte, r R, kind Kind) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.size >= m.max {
		m.entries, m.size = make(map[string]slot[R], 1024), 0
		m.bytes.Store(0) // the old requests, and what they hold, go
	}
	s, known := m.entries[string(uri)]
	switch {
	case kind == ByURI:
		s.r = r
	case len(s.byVariant) < MaxVariants && !s.has(variant):
		s.byVariant = append(s.byVariant, variantRequest[R]{string(variant), r})
		if kind == ByHints {
			s.r = m.marker
		}
	default:
		return false
	}
	if !known || kind != ByURI {
		m.size++
	}
	m.entries[string(uri)] = s
	return true
}

func (s slot[R]) has(variant []byte) bool {
	for _, v := range s.byVariant {
		if v.variant == string(variant) {
			return true
		}
	}
	return false
}

// Len returns the number of requests held.
func (m *Memo[R]) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.size
}

// AdmitBytes reports whether a remembered request may hold delta more
// bytes alive (a negative delta gives bytes back) within budget, counted
// since the memo last started over, and if so counts them.
func (m *Memo[R]) AdmitBytes(delta, budget int64) bool {
	if delta > 0 && m.bytes.Load() > budget {
		return false
	}
	m.bytes.Add(delta)
	return true
}

// Bytes returns the bytes counted by AdmitBytes since the memo last
// started over.
func (m *Memo[R]) Bytes() int64 { return m.bytes.Load() }
