package edge

import (
	"sync/atomic"

	"pixcdn/edge/urlmemo"
)

// usesHints stands in the request memo for the request of a URI whose
// requests depend on client hints: the caller looks again by hintMemoKey.
// It is never served.
var usesHints = &request{}

// newRequestMemo returns the memo of parsed requests (package urlmemo):
// parsing is a pure function of the URI, the Accept header and the rounded
// client hints (hintMemoKey) and the immutable config, and memoised
// requests are never modified, so sharing them is safe.
func newRequestMemo(max int) *urlmemo.Memo[*request] { return urlmemo.New(max, usesHints) }

// memoise remembers r under uri, and under variant (its Accept header, or
// its hintMemoKey) when r depends on it, marking it memoised first: the
// mark is read by every goroutine that finds r.
func (s *Server) memoise(uri, variant []byte, r *request) {
	kind := urlmemo.ByURI
	switch {
	case r.hinted:
		kind = urlmemo.ByHints
	case r.vary:
		kind = urlmemo.ByVariant
	}
	r.memoised = true
	if !s.memo.Put(uri, variant, r, kind) {
		r.memoised = false // not shared: nobody else reads it
	}
}

// l0Budget bounds the bodies memoised requests keep alive in their L0
// slots (they may outlive their eviction from the cache until the memo
// starts over), and l0MaxBody the size of one.
const (
	l0Budget  = 64 << 20
	l0MaxBody = 64 << 10
)

// admitL0 reports whether r may keep a body of n bytes in its L0 slot
// (r is memoised, the body small enough, the budget not spent), and if so
// counts it against the budget in place of the body the slot held.
func (s *Server) admitL0(r *request, n int) bool {
	if !r.memoised || n > l0MaxBody {
		return false
	}
	if old := r.l0.Load(); old != nil {
		n -= len(old.entry.Body)
	}
	return s.memo.AdmitBytes(int64(n), l0Budget)
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
