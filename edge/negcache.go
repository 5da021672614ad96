package edge

import (
	"sync"
	"time"
)

// negCache remembers recent 404s for a short time so unknown images do not
// reach the origin on every request. It is bounded: when full, an
// arbitrary entry is dropped. Safe for concurrent use.
type negCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]time.Time // original key → expiry
}

func newNegCache(max int) *negCache {
	return &negCache{max: max, entries: make(map[string]time.Time)}
}

func (n *negCache) has(key []byte, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.entries) == 0 {
		return false
	}
	exp, ok := n.entries[string(key)]
	if ok && !now.Before(exp) {
		delete(n.entries, string(key))
		return false
	}
	return ok
}

func (n *negCache) add(key []byte, until time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.entries) >= n.max {
		for k := range n.entries {
			delete(n.entries, k)
			break
		}
	}
	n.entries[string(key)] = until
}

// clear forgets every remembered 404 (after a purge: the image may exist now).
func (n *negCache) clear() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.entries)
}
