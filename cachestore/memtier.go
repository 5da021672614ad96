package cachestore

import (
	"bytes"
	"sync"

	"pixcdn/cachestore/internal/s3fifo"
)

// memItem is one entry held in memory. Its fields are never modified after
// it is published, so readers share it (and its Body) without copying.
type memItem struct {
	key   []byte
	stamp uint64
	entry Entry
	size  int64
}

// memTier is the memory tier: decoded entries under an S3-FIFO byte budget.
// Safe for concurrent use.
type memTier struct {
	mu     sync.Mutex
	items  map[uint64]*memItem
	policy *s3fifo.Policy
}

func newMemTier(capacity int64) *memTier {
	return &memTier{items: make(map[uint64]*memItem), policy: s3fifo.New(capacity)}
}

// get returns the item for key (hash h) and counts a hit for it.
func (m *memTier) get(h uint64, key []byte) (*memItem, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[h]
	if !ok || !bytes.Equal(it.key, key) {
		return nil, false
	}
	m.policy.Hit(h)
	return it, true
}

// set stores it under h, replacing what was there, and evicts to budget.
// Entries bigger than the whole budget are not kept.
func (m *memTier) set(h uint64, it *memItem) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.policy.Add(h, it.size, func(victim uint64) { delete(m.items, victim) }) {
		m.items[h] = it
	} else {
		delete(m.items, h)
	}
}

// remove forgets h if it still holds key (nil key: whatever it holds).
func (m *memTier) remove(h uint64, key []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if it, ok := m.items[h]; ok && (key == nil || bytes.Equal(it.key, key)) {
		delete(m.items, h)
		m.policy.Remove(h)
	}
}

// sweep removes every item for which dead returns true and returns how
// many it removed. It holds the tier's lock throughout; dead must be quick.
func (m *memTier) sweep(dead func(*memItem) bool) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for h, it := range m.items {
		if dead(it) {
			delete(m.items, h)
			m.policy.Remove(h)
			n++
		}
	}
	return n
}

func (m *memTier) stats() TierStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return TierStats{Bytes: m.policy.Bytes(), Entries: m.policy.Len(),
		Evictions: m.policy.Evictions(), Capacity: m.policy.Capacity()}
}
