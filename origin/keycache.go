package origin

import (
	"context"
	"sync"
	"time"
)

// keyCache remembers key lookups for a short time, so a busy edge does not
// cost one catalog round trip per request. Unknown keys are not cached.
// Safe for concurrent use.
type keyCache struct {
	catalog Catalog
	ttl     time.Duration
	mu      sync.Mutex
	entries map[string]keyEntry
}

type keyEntry struct {
	p       Principal
	expires time.Time
}

const keyCacheMax = 10000

func newKeyCache(c Catalog, ttl time.Duration) *keyCache {
	return &keyCache{catalog: c, ttl: ttl, entries: map[string]keyEntry{}}
}

func (c *keyCache) lookup(ctx context.Context, hash []byte) (Principal, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[string(hash)]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.p, nil
	}
	rec, err := c.catalog.LookupKey(ctx, hash)
	if err != nil {
		return Principal{}, err
	}
	p := Principal{Tenant: rec.Tenant, Role: rec.Role}
	if c.ttl > 0 {
		c.mu.Lock()
		if len(c.entries) >= keyCacheMax {
			clear(c.entries)
		}
		c.entries[string(hash)] = keyEntry{p: p, expires: now.Add(c.ttl)}
		c.mu.Unlock()
	}
	return p, nil
}
