package edge

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
)

// One read per miss: a request reads its original's cache entry once
// (readOriginal) and hands what it found down the fill (originalFor,
// ownOriginal, original) instead of reading it again at each step.

// cachedOriginal is what one read of this node's cache found for an
// original.
type cachedOriginal struct {
	entry Entry
	found bool
	// mark is the original's storeMarks mark, taken before the read.
	mark uint64
}

// readOriginal reads the original under key from this node's cache.
func (s *Server) readOriginal(ctx context.Context, key []byte) cachedOriginal {
	mark := s.stored.mark(key)
	e, ok := s.cacheGet(ctx, key, keyOriginal)
	return cachedOriginal{entry: e, found: ok, mark: mark}
}

// usable reports whether the entry read can make a variant as it is: fresh,
// or, unless the variant is being revalidated, within
// stale-while-revalidate.
func (c *cachedOriginal) usable(now time.Time, revalidate bool) bool {
	if !c.found {
		return false
	}
	st := c.entry.state(now)
	return st == fresh || (st == staleServable && !revalidate)
}

// storeMarks lets a fetch of an original skip its in-flight re-read of the
// cache when no original can have been stored since its caller read the
// cache: every store of an original bumps the counter of its key's stripe,
// after the entry is set, and a caller takes the stripe's mark before it
// reads. If the caller's read missed a store, that store's bump came after
// the mark, so the mark has moved by the time the fetch checks it. Safe
// for concurrent use; the zero value is ready.
type storeMarks [64]atomic.Uint64

// mark returns the current mark of key's stripe; never 0.
func (m *storeMarks) mark(key []byte) uint64 { return m.stripe(key).Load() + 1 }

// bump records that an original under key was stored.
func (m *storeMarks) bump(key []byte) { m.stripe(key).Add(1) }

// changed reports whether an original of key's stripe may have been stored
// since mark was taken; always true for mark 0 (no read was made).
func (m *storeMarks) changed(key []byte, mark uint64) bool {
	return mark == 0 || m.mark(key) != mark
}

func (m *storeMarks) stripe(key []byte) *atomic.Uint64 {
	return &m[xxhash.Sum64(key)%uint64(len(m))]
}
