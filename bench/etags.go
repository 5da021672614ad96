package bench

import (
	"sync"

	"github.com/cespare/xxhash/v2"
)

// etagShards and etagCap bound the ETag memory: at most etagCap entries
// (about 100 bytes each); once full, new URLs are not remembered.
const (
	etagShards = 64
	etagCap    = 1 << 20
)

// etagStore remembers the last ETag seen per (path, Accept), the way a
// browser cache does, so revisits can be sent conditionally. Safe for
// concurrent use.
type etagStore struct {
	shards [etagShards]etagShard
}

type etagShard struct {
	mu sync.RWMutex
	m  map[uint64]string
}

func newETagStore() *etagStore {
	s := &etagStore{}
	for i := range s.shards {
		s.shards[i].m = make(map[uint64]string)
	}
	return s
}

func etagKey(path, accept string) uint64 {
	return xxhash.Sum64String(path) ^ (xxhash.Sum64String(accept) * 0x9e3779b97f4a7c15)
}

// get returns the remembered ETag or "".
func (s *etagStore) get(path, accept string) string {
	k := etagKey(path, accept)
	sh := &s.shards[k%etagShards]
	sh.mu.RLock()
	v := sh.m[k]
	sh.mu.RUnlock()
	return v
}

// put remembers etag for (path, accept) unless the shard is full.
func (s *etagStore) put(path, accept, etag string) {
	k := etagKey(path, accept)
	sh := &s.shards[k%etagShards]
	sh.mu.RLock()
	old, ok := sh.m[k]
	full := len(sh.m) >= etagCap/etagShards
	sh.mu.RUnlock()
	if old == etag || !ok && full {
		return
	}
	sh.mu.Lock()
	sh.m[k] = etag
	sh.mu.Unlock()
}
