package cachestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// Dropping and reopening the disk tier (health.go says when).
//
// A Badger whose directory was removed cannot close by itself: Close
// flushes the memtable to a new table file, which cannot be created, and
// Badger retries that every second for ever. So a dropped tier is closed
// in the background after Dir is recreated (its last table lands there,
// and is wiped before the new tier opens), and nobody waits for it longer
// than retireWait. Its Badger logger is silenced first, so the retries do
// not fill the log.

// retireWait bounds how long Store.Close waits for dropped tiers to close.
const retireWait = time.Second

// abandonAfter is how long a reopen waits for a dropped tier to close
// before it opens the new one anyway.
const abandonAfter = 30 * time.Second

// openDisk opens the disk tier in cfg.Dir (or in memory): Badger, the
// segments, the index, and for a directory the space reserve.
func openDisk(cfg Config) (*diskTier, error) {
	quiet := new(atomic.Bool)
	cfg.badgerQuiet = quiet
	db, err := openBadger(cfg)
	if err != nil {
		return nil, fmt.Errorf("cachestore: open %q: %w", cfg.Dir, err)
	}
	segs, err := openSegments(cfg.Dir, cfg.SegmentBytes)
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	watch, err := openDirWatch(cfg.Dir)
	if err != nil {
		return nil, errors.Join(err, db.Close(), segs.close())
	}
	d, err := loadIndex(db, segs, cfg.liveBudget(), watch)
	if err != nil {
		if d != nil {
			d.stopWriter()
		}
		return nil, errors.Join(err, db.Close(), segs.close(), watch.close())
	}
	d.quiet, d.space = quiet, newSpace(cfg)
	return d, nil
}

// watchDir records Dir and Dir/segments as they are now, for inspectDir.
// Callers hold health.mu.
func (s *Store) watchDirLocked() error {
	if s.cfg.Dir == "" {
		return nil
	}
	dir, err := os.Stat(s.cfg.Dir)
	if err != nil {
		return err
	}
	segs, err := os.Stat(filepath.Join(s.cfg.Dir, segDirName))
	if err != nil {
		return err
	}
	s.health.dir, s.health.segs = dir, segs
	return nil
}

// retireLocked replaces disk tier d with an empty memory-only one and
// closes d in the background. Callers hold health.mu and have halted d.
func (s *Store) retireLocked(d *diskTier) {
	d.quiet.Store(true)
	s.tier.Store(absentDisk())
	s.dirBytes.Store(0)
	s.failedBefore.Add(d.failedWrites.Load())
	s.health.retiring = append(s.health.retiring, d)
	// Recreating Dir lets a Badger whose directory was removed flush its
	// memtable there and close; tryReopen wipes what it leaves.
	_ = os.MkdirAll(s.cfg.Dir, 0o755)
	go d.closeAll()
}

// tryReopen replaces the memory-only stand-in with a disk tier reopened
// empty in a recreated Dir, once the dropped tiers have closed (or been
// given up on). It leaves the store memory-only, to try again, if any
// step fails.
func (s *Store) tryReopen() {
	s.purgeMu.Lock() // no purge between saving the counters and the swap
	defer s.purgeMu.Unlock()
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	if !s.health.fault.dropsTier() || s.closed.Load() {
		return
	}
	if err := os.MkdirAll(s.cfg.Dir, 0o755); err != nil {
		return
	}
	if !s.retiredLocked(time.Since(s.health.since) > abandonAfter) {
		return
	}
	// Whatever is left in Dir belongs to the dropped tier: start cold.
	if err := os.RemoveAll(s.cfg.Dir); err != nil {
		return
	}
	d, err := openDisk(s.cfg)
	if err != nil {
		return
	}
	if err := errors.Join(s.saveCounters(d), makeReserve(s.cfg.Dir, s.cfg.reserveBytes()), s.watchDirLocked()); err != nil {
		d.halt()
		d.closeAll()
		return
	}
	s.health.unsaved = false
	d.onFault = s.degrade
	s.tier.Store(d)
	s.health.reopens++
	s.recoveredLocked("cachestore: disk cache reopened empty")
	if s.cfg.OnReopen != nil {
		s.cfg.OnReopen()
	}
}

// retiredLocked reports whether every dropped tier has closed, forgetting
// those that have; with abandon, it gives up on those that have not.
// Callers hold health.mu.
func (s *Store) retiredLocked(abandon bool) bool {
	left := s.health.retiring[:0]
	for _, d := range s.health.retiring {
		select {
		case <-d.closed:
		default:
			if !abandon {
				left = append(left, d)
			}
		}
	}
	s.health.retiring = left
	return len(left) == 0
}

// waitRetired waits up to limit for the dropped tiers to close.
func (s *Store) waitRetired(limit time.Duration) {
	s.health.mu.Lock()
	retiring := s.health.retiring
	s.health.mu.Unlock()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for _, d := range retiring {
		select {
		case <-d.closed:
		case <-timer.C:
			return
		}
	}
}

// saveCounters writes the purge clock and every purge counter held in
// memory to d, synced: to a reopened tier, or after purges the tier could
// not store.
func (s *Store) saveCounters(d *diskTier) error {
	wb := d.db.NewWriteBatch()
	defer wb.Cancel()
	if err := wb.Set(clockKey, binary.BigEndian.AppendUint64(nil, s.gens.clock.Load())); err != nil {
		return err
	}
	for sc, gen := range s.gens.snapshot() {
		if err := wb.Set(scopeKey(sc), binary.BigEndian.AppendUint64(nil, gen)); err != nil {
			return err
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("cachestore: save purge counters: %w", err)
	}
	if s.cfg.Dir == "" {
		return nil
	}
	return d.db.Sync()
}

// snapshot returns a copy of the purge counters.
func (g *generations) snapshot() map[scope]uint64 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make(map[scope]uint64, len(g.purged))
	for sc, gen := range g.purged {
		out[sc] = gen
	}
	return out
}
