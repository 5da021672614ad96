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
	d, unlock, ok := s.lockCounters()
	if !ok {
		return ErrClosed
	}
	defer unlock()
	gen := s.gens.clock.Load() + 1
	scopes := p.scopes()
	if !d.canWrite() {
		// Applied in memory now, written when the disk tier can be again:
		// until then no entry it holds can be read after a restart either
		// (a dropped tier is reopened empty; a full one is written again
		// only after the counters are).
		s.markUnsaved()
	} else if err := s.persistScopes(d, scopes, gen); err != nil {
		return fmt.Errorf("cachestore: purge: %w", err)
	}
	s.gens.apply(scopes, gen)
	select {
	case s.kick <- struct{}{}:
	default: // a sweep is already due
	}
	return nil
}

// lockCounters takes purgeMu and the disk tier (useDisk), to change the
// counters and their persisted copies. Once the store is closed it takes
// nothing and returns false.
func (s *Store) lockCounters() (d *diskTier, unlock func(), ok bool) {
	s.purgeMu.Lock()
	d, ok = s.useDisk()
	if !ok {
		s.purgeMu.Unlock()
		return nil, nil, false
	}
	return d, func() {
		s.done(d)
		s.purgeMu.Unlock()
	}, true
}

// markUnsaved notes that the counters changed while the disk tier could
// not store them.
func (s *Store) markUnsaved() {
	s.health.mu.Lock()
	s.health.unsaved = true
	s.health.mu.Unlock()
}

func (s *Store) persistScopes(d *diskTier, scopes []scope, gen uint64) error {
	wb := d.db.NewWriteBatch()
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
	return d.db.Sync()
}
