package cachestore

import (
	"encoding/binary"
	"fmt"
)

// Purge makes every entry p covers a miss from the moment it returns, in
// O(number of ids and tags named), never by scanning entries: it bumps one
// generation counter per scope, persisted and synced to disk before it takes
// effect, so a purge survives a crash. The space is reclaimed later by the
// sweeper. Purges are serialised with each other; Gets and Sets go on.
// Fills racing a purge are handled by Snapshot and Set.
func (s *Store) Purge(p Purge) error {
	if err := p.Validate(); err != nil {
		return err
	}
	unlock, ok := s.lockCounters()
	if !ok {
		return ErrClosed
	}
	defer unlock()
	gen := s.gens.clock.Load() + 1
	scopes := p.scopes()
	if err := s.persistScopes(scopes, gen); err != nil {
		return fmt.Errorf("cachestore: purge: %w", err)
	}
	s.gens.apply(scopes, gen)
	select {
	case s.kick <- struct{}{}:
	default: // a sweep is already due
	}
	return nil
}

// lockCounters takes purgeMu and life (shared), to change the counters
// and their persisted copies. Once the store is closed it takes nothing
// and returns false.
func (s *Store) lockCounters() (unlock func(), ok bool) {
	s.purgeMu.Lock()
	s.life.RLock()
	if s.closed.Load() {
		s.life.RUnlock()
		s.purgeMu.Unlock()
		return nil, false
	}
	return func() {
		s.life.RUnlock()
		s.purgeMu.Unlock()
	}, true
}

func (s *Store) persistScopes(scopes []scope, gen uint64) error {
	wb := s.db().NewWriteBatch()
	defer wb.Cancel()
	val := binary.BigEndian.AppendUint64(nil, gen)
	for _, sc := range scopes {
		if err := wb.Set(scopeKey(sc), val); err != nil {
			return err
		}
	}
	if err := wb.Flush(); err != nil {
		return err
	}
	if s.cfg.Dir == "" {
		return nil
	}
	return s.db().Sync()
}
