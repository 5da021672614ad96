package cachestore

import (
	"slices"
	"sync"
)

// keyLockShards spreads the key-lock table over this many mutexes.
const keyLockShards = 64

// keyLocks is one lock per key hash. A queued write holds its key's lock
// until Badger has applied it, and is unlocked from another goroutine (the
// commit callback), so hundreds may be held at once: exact locks, unlike
// lock striping, never make a Set wait for an unrelated key. Only held
// hashes take memory. The zero value is ready; safe for concurrent use.
type keyLocks struct {
	shards [keyLockShards]keyLockShard
}

type keyLockShard struct {
	mu sync.Mutex
	// held maps a locked hash to a channel closed when it is unlocked.
	held map[uint64]chan struct{}
}

// lock blocks until it holds h's lock.
func (k *keyLocks) lock(h uint64) {
	s := &k.shards[h%keyLockShards]
	for {
		s.mu.Lock()
		released, busy := s.held[h]
		if !busy {
			if s.held == nil {
				s.held = make(map[uint64]chan struct{})
			}
			s.held[h] = make(chan struct{})
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		<-released
	}
}

// wait blocks until whoever holds h's lock now releases it, without
// taking it: a reader's way to see every write queued before it started.
func (k *keyLocks) wait(h uint64) {
	s := &k.shards[h%keyLockShards]
	s.mu.Lock()
	released, busy := s.held[h]
	s.mu.Unlock()
	if busy {
		<-released
	}
}

// unlock releases h's lock, which the caller (or a goroutine it handed the
// lock to) holds.
func (k *keyLocks) unlock(h uint64) {
	s := &k.shards[h%keyLockShards]
	s.mu.Lock()
	released := s.held[h]
	delete(s.held, h)
	s.mu.Unlock()
	close(released)
}

// lockAll locks the distinct hashes of hs in ascending order (so that two
// callers never deadlock) and returns the function that unlocks them. It
// does not modify hs.
func (k *keyLocks) lockAll(hs []uint64) (unlock func()) {
	if len(hs) == 1 {
		h := hs[0]
		k.lock(h)
		return func() { k.unlock(h) }
	}
	sorted := slices.Compact(slices.Sorted(slices.Values(hs)))
	for _, h := range sorted {
		k.lock(h)
	}
	return func() {
		for _, h := range sorted {
			k.unlock(h)
		}
	}
}
