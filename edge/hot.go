package edge

import (
	"strings"
	"sync"
	"time"
)

// hotCache is a non-owner's small copy of popular variants it forwarded:
// a variant asked for a second time within a generation of the admission
// filter is kept for a short TTL, so a hot image does not cost a peer
// round trip per request. It is bounded in entries and bytes per entry,
// purged like the main cache, and holds no signed images. Safe for
// concurrent use.
type hotCache struct {
	mu       sync.Mutex
	max      int
	maxBytes int
	ttl      time.Duration
	entries  map[string]*hotEntry
	seen     map[string]uint8 // admission filter: sightings per key
}

type hotEntry struct {
	entry   Entry
	expires time.Time
}

func newHotCache(max, maxBytes int, ttl time.Duration) *hotCache {
	return &hotCache{max: max, maxBytes: maxBytes, ttl: ttl, entries: map[string]*hotEntry{}, seen: map[string]uint8{}}
}

// get returns the hot copy of key, if any and not expired.
func (h *hotCache) get(key []byte, now time.Time) (Entry, bool) {
	if h == nil {
		return Entry{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	he, ok := h.entries[string(key)]
	if !ok {
		return Entry{}, false
	}
	if !now.Before(he.expires) {
		delete(h.entries, string(key))
		return Entry{}, false
	}
	return he.entry, true
}

// admit counts a sighting of key and reports whether a forwarded answer
// for it should be kept: on its second sighting, when not already kept.
func (h *hotCache) admit(key []byte) bool {
	if h == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.entries[string(key)]; ok {
		return false
	}
	if len(h.seen) >= 4*h.max {
		clear(h.seen)
	}
	n := h.seen[string(key)] + 1
	h.seen[string(key)] = n
	return n >= 2
}

// put keeps e (small, not signed) until its freshness or the hot TTL ends.
// e.Body must not be modified afterwards.
func (h *hotCache) put(key []byte, e Entry, now time.Time) {
	ttl := min(h.ttl, e.FreshUntil.Sub(now))
	if len(e.Body) > h.maxBytes || e.Image.Signed || ttl <= 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.entries) >= h.max {
		for k := range h.entries { // evict an arbitrary entry
			delete(h.entries, k)
			break
		}
	}
	h.entries[string(key)] = &hotEntry{entry: e, expires: now.Add(ttl)}
}

// purge drops every hot copy p covers.
func (h *hotCache) purge(p Purge) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, he := range h.entries {
		if purgeCovers(p, &he.entry.Image) {
			delete(h.entries, k)
		}
	}
}

// purgeCovers reports whether p selects the image ref.
func purgeCovers(p Purge, r *ImageRef) bool {
	if p.Tenant == "" {
		return p.All
	}
	if p.Tenant != r.Tenant {
		return false
	}
	if p.All {
		return true
	}
	for _, id := range p.PublicIDs {
		if id == r.PublicID {
			return true
		}
	}
	for _, t := range p.Tags {
		for _, rt := range r.Tags {
			if t == rt {
				return true
			}
		}
	}
	return p.Prefix != "" && strings.HasPrefix(r.PublicID, p.Prefix)
}
