// Package negcache remembers negative answers for a short time: for each
// key, an error (why the key cannot be served) and until when it holds.
// The edge keeps two: originals that cannot be served (unknown, or not a
// raster image) and images known to be signed.
package negcache

import (
	"sync"
	"time"
)

// Cache maps keys to remembered errors with an expiry. It is bounded: when
// full, the entry that expires first is dropped to make room. Safe for concurrent
// use; the zero value is not usable, call New.
type Cache struct {
	mu      sync.Mutex
	max     int
	entries map[string]entry
}

type entry struct {
	until time.Time
	err   error
}

// New returns a Cache holding at most limit entries (at least one).
func New(limit int) *Cache {
	return &Cache{max: max(limit, 1), entries: make(map[string]entry)}
}

// Get returns the error remembered for key, if it still holds at now.
func (c *Cache) Get(key []byte, now time.Time) (error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) == 0 {
		return nil, false
	}
	e, ok := c.entries[string(key)]
	if ok && !now.Before(e.until) {
		delete(c.entries, string(key))
		return nil, false
	}
	return e.err, ok
}

// Has reports whether something is remembered for key at now.
func (c *Cache) Has(key []byte, now time.Time) bool {
	_, ok := c.Get(key, now)
	return ok
}

// Add remembers err for key until then.
func (c *Cache) Add(key []byte, until time.Time, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[string(key)]; !ok && len(c.entries) >= c.max {
		c.makeRoom()
	}
	c.entries[string(key)] = entry{until: until, err: err}
}

// makeRoom drops the entry that expires first (one scan: Add is called on
// misses, which cost far more).
func (c *Cache) makeRoom() {
	var first string
	var firstUntil time.Time
	for k, e := range c.entries {
		if first == "" || e.until.Before(firstUntil) {
			first, firstUntil = k, e.until
		}
	}
	delete(c.entries, first)
}

// Clear forgets everything (after a purge: what was refused may be
// servable now).
func (c *Cache) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}

// Len returns the number of entries held, expired ones included.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
