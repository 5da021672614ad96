// Package hotcache is a non-owner edge's small store of popular answers it
// got from their owner: a key asked for a second time within a generation
// of its admission filter is kept for a short TTL, so a hot image does not
// cost a peer round trip per request.
package hotcache

import (
	"sync"
	"time"
)

// Cache holds values of type V by key, bounded in entries and in the size
// of one value, each for at most a TTL. A nil *Cache is a disabled cache:
// it holds nothing and admits nothing. Safe for concurrent use.
type Cache[V any] struct {
	mu       sync.Mutex
	max      int
	maxBytes int
	ttl      time.Duration
	entries  map[string]*held[V]
	seen     map[string]uint8 // admission filter: sightings per key
}

type held[V any] struct {
	value   V
	expires time.Time
}

// New returns a Cache of at most entries values of at most maxBytes each,
// kept for at most ttl.
func New[V any](entries, maxBytes int, ttl time.Duration) *Cache[V] {
	return &Cache[V]{max: max(entries, 1), maxBytes: maxBytes, ttl: ttl, entries: map[string]*held[V]{}, seen: map[string]uint8{}}
}

// Get returns the value kept under key, if any and not expired at now.
func (c *Cache[V]) Get(key []byte, now time.Time) (V, bool) {
	var zero V
	if c == nil {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.entries[string(key)]
	if !ok {
		return zero, false
	}
	if !now.Before(h.expires) {
		delete(c.entries, string(key))
		return zero, false
	}
	return h.value, true
}

// Admit counts a sighting of key and reports whether an answer for it
// should be kept: on its second sighting, when not already kept. The
// filter forgets every sighting when it has counted 4×max keys.
func (c *Cache[V]) Admit(key []byte) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[string(key)]; ok {
		return false
	}
	if len(c.seen) >= 4*c.max {
		clear(c.seen)
	}
	n := c.seen[string(key)] + 1
	c.seen[string(key)] = n
	return n >= 2
}

// Put keeps v (of size bytes) under key from now for the cache's TTL or
// freshFor, whichever is shorter; nothing when v is larger than the
// cache's bound or freshFor is not positive. When full, an arbitrary
// entry is dropped. v must not be modified afterwards.
func (c *Cache[V]) Put(key []byte, v V, size int, freshFor time.Duration, now time.Time) {
	if c == nil || size > c.maxBytes || min(c.ttl, freshFor) <= 0 {
		return
	}
	ttl := min(c.ttl, freshFor)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[string(key)]; !ok && len(c.entries) >= c.max {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[string(key)] = &held[V]{value: v, expires: now.Add(ttl)}
}

// Purge drops every value covered reports true for.
func (c *Cache[V]) Purge(covered func(V) bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, h := range c.entries {
		if covered(h.value) {
			delete(c.entries, k)
		}
	}
}
