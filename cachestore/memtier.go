package cachestore

import (
	"bytes"
	"sync"
	"sync/atomic"

	"pixcdn/cachestore/internal/s3fifo"
)

// memShards splits the memory tier so that concurrent hits rarely meet on
// one lock. Each shard has MemoryBytes/memShards of budget, so an entry
// bigger than that skips the memory tier.
const memShards = 16

// hitBatch is how many memory-tier hits a shard collects before they are
// reported to the disk tier's policy in one go.
const hitBatch = 64

// memItem is one entry held in memory. Its fields are never modified after
// it is published, so readers share it (and its Body) without copying.
type memItem struct {
	key   []byte
	stamp uint64
	entry Entry
	size  int64
}

// memTier is the memory tier: decoded entries under S3-FIFO byte budgets,
// in shards by key hash. Safe for concurrent use.
type memTier struct {
	shards [memShards]memShard
}

type memShard struct {
	mu     sync.Mutex
	items  map[uint64]*memItem
	policy *s3fifo.Policy
	hits   []uint64 // hashes hit since the last report to the disk tier
	// served counts Gets this shard served; per shard, so that hits on
	// different shards never contend for one counter's cache line.
	served atomic.Uint64
	_      [64]byte // keep shards on separate cache lines
}

func newMemTier(capacity int64) *memTier {
	m := &memTier{}
	for i := range m.shards {
		m.shards[i].items = make(map[uint64]*memItem)
		m.shards[i].policy = s3fifo.New(capacity / memShards)
	}
	return m
}

func (m *memTier) shard(h uint64) *memShard { return &m.shards[h>>60] }

// get returns the item for key (hash h) and counts a hit for it. Every
// hitBatch hits of a shard it also returns their hashes, for the caller to
// report to the disk tier (the slice is the caller's).
func (m *memTier) get(h uint64, key []byte) (it *memItem, ok bool, hits []uint64) {
	sh := m.shard(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	it, ok = sh.items[h]
	if !ok || !bytes.Equal(it.key, key) {
		return nil, false, nil
	}
	sh.policy.Hit(h)
	sh.hits = append(sh.hits, h)
	if len(sh.hits) >= hitBatch {
		hits, sh.hits = sh.hits, make([]uint64, 0, hitBatch)
	}
	return it, true, hits
}

// set stores it under h, replacing what was there, and evicts to budget.
// Entries bigger than the shard's budget are not kept.
func (m *memTier) set(h uint64, it *memItem) {
	sh := m.shard(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.policy.Add(h, it.size, func(victim uint64) { delete(sh.items, victim) }) {
		sh.items[h] = it
	} else {
		delete(sh.items, h)
	}
}

// remove forgets h if it still holds key (nil key: whatever it holds).
func (m *memTier) remove(h uint64, key []byte) {
	sh := m.shard(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if it, ok := sh.items[h]; ok && (key == nil || bytes.Equal(it.key, key)) {
		delete(sh.items, h)
		sh.policy.Remove(h)
	}
}

// sweep removes every item for which dead returns true and returns how
// many it removed. It holds one shard's lock at a time; dead must be quick.
func (m *memTier) sweep(dead func(*memItem) bool) int {
	n := 0
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		for h, it := range sh.items {
			if dead(it) {
				delete(sh.items, h)
				sh.policy.Remove(h)
				n++
			}
		}
		sh.mu.Unlock()
	}
	return n
}

// countServed records that a Get was served from h's shard.
func (m *memTier) countServed(h uint64) { m.shard(h).served.Add(1) }

// served returns how many Gets the tier served.
func (m *memTier) served() uint64 {
	var n uint64
	for i := range m.shards {
		n += m.shards[i].served.Load()
	}
	return n
}

func (m *memTier) stats() TierStats {
	var st TierStats
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		st.Bytes += sh.policy.Bytes()
		st.Entries += sh.policy.Len()
		st.Evictions += sh.policy.Evictions()
		st.Capacity += sh.policy.Capacity()
		sh.mu.Unlock()
	}
	return st
}
