package edge

import (
	"sync"
	"time"
)

// negCache remembers, for a short time, originals that cannot be served —
// unknown (404) or refused as not a raster image (415, 422) — so such
// requests do not reach the origin, or read and probe the same bytes, on
// every request. It is bounded: when full, an arbitrary entry is dropped.
// Safe for concurrent use.
type negCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]negEntry // original key → why and until when
}

type negEntry struct {
	until time.Time
	err   error
}

func newNegCache(max int) *negCache {
	return &negCache{max: max, entries: make(map[string]negEntry)}
}

// has reports whether key is remembered at now.
func (n *negCache) has(key []byte, now time.Time) bool {
	_, ok := n.get(key, now)
	return ok
}

// get returns the error remembered for key at now.
func (n *negCache) get(key []byte, now time.Time) (error, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.entries) == 0 {
		return nil, false
	}
	e, ok := n.entries[string(key)]
	if ok && !now.Before(e.until) {
		delete(n.entries, string(key))
		return nil, false
	}
	return e.err, ok
}

// add remembers key as not found until then.
func (n *negCache) add(key []byte, until time.Time) { n.addErr(key, until, ErrNotFound) }

// addErr remembers err as the answer for key until then.
func (n *negCache) addErr(key []byte, until time.Time, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.entries) >= n.max {
		for k := range n.entries {
			delete(n.entries, k)
			break
		}
	}
	n.entries[string(key)] = negEntry{until: until, err: err}
}

// clear forgets every remembered answer (after a purge: the image may
// exist, or be an image, now).
func (n *negCache) clear() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.entries)
}
