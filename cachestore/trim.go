package cachestore

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"
)

// Trimming the purge counters. Every purge leaves one counter per scope it
// names (generations.purged, persisted under prefixGen), which would
// otherwise be kept forever. An entry stamped s is alive iff s >= every
// counter covering its image, so a counter with gen <= W decides nothing
// once (a) every stored entry, in both tiers, is stamped >= W and (b) no
// Set with a stamp < W can succeed any more. Then it can be dropped.
//
// (b) is Store.floor: Set refuses (ErrPurged) a stamp below it. Each
// periodic sweep raises the floor to the clock as it was at the start of
// the previous periodic sweep, so a fill is refused only if its Snapshot
// is more than a whole SweepInterval old (5 minutes by default). Fills
// take seconds at most (the edge bounds them at about 15 s), so in
// practice this refuses nothing. Sweeps kicked by purges, which can come
// every second, never raise it: a floor that recent would refuse ordinary
// fills in flight.
//
// (a) is the sweep's walk, which notes the lowest stamp m of the entries
// it keeps (deleting the dead ones); W is min(m, floor). The walk must see
// every entry stamped below the floor: raising the floor takes Store.fill
// exclusively, so every Set that passed its check before is done with
// both tiers, and the disk writes those Sets queued are committed
// (diskTier.flush) before the walk starts. A Get holds fill from its disk
// read through its copy into memory, so a copy it makes after the memory
// walk is of a record the disk walk sees, or of one found alive after the
// floor rose, which only purges newer than the floor can kill. A walk cut
// short (Close) or a failed deletion trims nothing.

// trimState is the periodic sweeps' own: they are serialised by mu.
type trimState struct {
	mu sync.Mutex
	// lastClock is the clock at the start of the previous periodic sweep
	// (0 before the first).
	lastClock uint64
	// afterWalk, if set (tests only), runs between the walk and the trim.
	afterWalk func()
}

// periodicSweep is the sweep SweepInterval's ticker runs: it raises the
// floor, sweeps both tiers and then drops the purge counters that can no
// longer decide anything. It returns how many entries the sweep removed.
func (s *Store) periodicSweep() int {
	s.trim.mu.Lock()
	defer s.trim.mu.Unlock()
	s.raiseFloor(s.trim.lastClock)
	clock := s.gens.clock.Load()
	defer func() { s.trim.lastClock = clock }()
	if !s.flushWrites() {
		return 0
	}
	kept := keptStamps{min: math.MaxUint64}
	n, whole := s.sweepKeeping(&kept)
	if s.trim.afterWalk != nil {
		s.trim.afterWalk()
	}
	if whole {
		if err := s.trimGenerations(min(kept.min, s.floor.Load())); err != nil {
			s.cfg.Logger.Warn("cachestore: could not trim purge counters", "err", err)
		}
	}
	return n
}

// raiseFloor makes Set refuse every stamp below f from now on.
func (s *Store) raiseFloor(f uint64) {
	s.fill.Lock()
	defer s.fill.Unlock()
	if f > s.floor.Load() {
		s.floor.Store(f)
	}
}

// flushWrites waits until every disk write queued so far is committed to
// Badger. It reports false if the store is closed or the disk tier is
// degraded (then the counters cannot be trimmed on disk anyway).
func (s *Store) flushWrites() bool {
	d, ok := s.useDisk()
	if !ok {
		return false
	}
	defer s.done(d)
	if !d.writable() {
		return false
	}
	d.flush()
	return true
}

// trimGenerations drops every purge counter with gen <= w, on disk and
// then in memory. It holds purgeMu, so a concurrent Purge (whose counter
// is newer than w anyway) is never half applied while it runs.
func (s *Store) trimGenerations(w uint64) error {
	d, unlock, ok := s.lockCounters()
	if !ok {
		return nil
	}
	defer unlock()
	if !d.canWrite() {
		return nil // a later sweep trims them
	}
	old := s.gens.atOrBelow(w)
	if len(old) == 0 {
		return nil
	}
	// On disk first: a counter persisted but dropped from memory only
	// kills entries stamped below w, of which there are none; a counter
	// kept in memory but gone from disk could come back to life on reopen.
	if err := s.unpersistScopes(d, old); err != nil {
		return err
	}
	s.gens.drop(old)
	s.trimmed.Add(uint64(len(old)))
	return nil
}

// clockKey is the Badger key of the persisted purge clock: prefixGen and
// a kind no scope has (older versions skip it). Without it, dropping the
// newest counters would set the clock back on reopen, and purges after
// that would miss entries stamped since.
var clockKey = []byte{prefixGen, 0}

// unpersistScopes records the clock and then deletes the counters of
// scopes, in one write batch (the clock first), synced like a purge.
func (s *Store) unpersistScopes(d *diskTier, scopes []scope) error {
	wb := d.db.NewWriteBatch()
	defer wb.Cancel()
	if err := wb.Set(clockKey, binary.BigEndian.AppendUint64(nil, s.gens.clock.Load())); err != nil {
		return err
	}
	for _, sc := range scopes {
		if err := wb.Delete(scopeKey(sc)); err != nil {
			return err
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("cachestore: trim purge counters: %w", err)
	}
	if s.cfg.Dir == "" {
		return nil
	}
	return d.db.Sync()
}

// atOrBelow lists the scopes whose counter is at most w.
func (g *generations) atOrBelow(w uint64) []scope {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var out []scope
	for sc, gen := range g.purged {
		if gen <= w {
			out = append(out, sc)
		}
	}
	return out
}

// drop forgets the counters of scopes and the prefix lengths no counter
// left needs. Callers serialise it with apply.
func (g *generations) drop(scopes []scope) {
	g.mu.Lock()
	defer g.mu.Unlock()
	tenants := make(map[string]bool)
	for _, sc := range scopes {
		delete(g.purged, sc)
		if sc.kind == scopePrefix {
			tenants[sc.tenant] = true
		}
	}
	if len(tenants) == 0 {
		return
	}
	for t := range tenants {
		delete(g.prefixLens, t)
	}
	for sc := range g.purged {
		if sc.kind == scopePrefix && tenants[sc.tenant] {
			g.addPrefixLen(sc)
		}
	}
}

// size returns how many counters the table holds.
func (g *generations) size() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.purged)
}
