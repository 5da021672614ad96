package cachestore

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// sweepBatch is how many dead entries the sweeper deletes per write batch,
// and how often it checks for Close while iterating.
const sweepBatch = 1024

// sweepLoop sweeps every SweepInterval (and trims the purge counters
// then: periodicSweep), and SweepDelay after a purge.
func (s *Store) sweepLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.periodicSweep()
		case <-s.kick:
			if !s.wait(s.cfg.SweepDelay) {
				return
			}
			s.sweep()
		}
	}
}

// wait sleeps for d and reports false if the store closes first.
func (s *Store) wait(d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-s.stop:
		return false
	case <-timer.C:
		return true
	}
}

// sweep removes purged and expired entries from both tiers, and disk
// records the policy no longer tracks (left by a failed write or delete).
// It returns how many it removed. The frames of the records it deletes
// become garbage, which segment compaction reclaims.
func (s *Store) sweep() int {
	n, _ := s.sweepKeeping(nil)
	return n
}

// sweepKeeping is sweep, noting in kept (if not nil) the stamp of every
// entry it keeps. It also reports whether it went through both tiers
// whole: no early stop for Close, no failed deletion.
func (s *Store) sweepKeeping(kept *keptStamps) (int, bool) {
	n := s.mem.sweep(func(it *memItem) bool {
		if !s.servable(&it.entry, it.stamp) {
			return true
		}
		kept.note(it.stamp)
		return false
	})
	m, whole := s.sweepDisk(kept)
	n += m
	s.swept.Add(uint64(n))
	return n, whole
}

// keptStamps is the lowest stamp of the entries a sweep keeps. A nil
// *keptStamps notes nothing.
type keptStamps struct{ min uint64 }

func (k *keptStamps) note(stamp uint64) {
	if k != nil && stamp < k.min {
		k.min = stamp
	}
}

// sweepDisk sweeps the disk tier; while it is degraded (not writable) it
// does nothing and reports a partial sweep.
func (s *Store) sweepDisk(kept *keptStamps) (int, bool) {
	d, ok := s.useDisk()
	if !ok {
		return 0, false
	}
	defer s.done(d)
	if !d.writable() {
		return 0, false
	}
	dead, whole := s.findDead(d, kept)
	for i := 0; i < len(dead); i += sweepBatch {
		chunk := dead[i:min(i+sweepBatch, len(dead))]
		if err := d.remove(chunk...); err != nil {
			if !errors.Is(err, errDiskHalted) {
				s.cfg.Logger.Warn("cachestore: sweeper could not delete", "err", err)
			}
			return i, false
		}
	}
	return len(dead), whole
}

// findDead lists the hashes whose records are unreadable, purged,
// expired or unknown to the policy, and notes the stamps of the others in
// kept. It stops early, reporting false, if the store closes.
func (s *Store) findDead(d *diskTier, kept *keptStamps) (dead []uint64, whole bool) {
	err := d.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64,
			Prefix: []byte{prefixRecord}})
		defer it.Close()
		seen := 0
		for it.Rewind(); it.Valid(); it.Next() {
			if seen++; seen%sweepBatch == 0 && s.closing() {
				return errSweepStopped
			}
			k := it.Item().Key()
			if len(k) != 9 {
				continue
			}
			h := binary.BigEndian.Uint64(k[1:])
			if s.isDead(d, it.Item(), h, kept) {
				dead = append(dead, h)
			}
		}
		return nil
	})
	return dead, err == nil
}

// errSweepStopped ends findDead's walk when the store closes.
var errSweepStopped = errors.New("cachestore: sweep stopped")

func (s *Store) isDead(d *diskTier, item *badger.Item, h uint64, kept *keptStamps) bool {
	dead := true
	_ = item.Value(func(v []byte) error {
		_, idx, err := decodePointer(v)
		if err != nil {
			return nil
		}
		rec, err := decode(idx)
		dead = err != nil || !s.servable(&rec.entry, rec.stamp) || !d.tracks(h)
		if !dead {
			kept.note(rec.stamp)
		}
		return nil
	})
	return dead
}

func (s *Store) closing() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}
