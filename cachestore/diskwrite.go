package cachestore

import (
	"errors"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// maxAsyncVictims bounds the deletions one Set queues with its write;
// more (a big entry evicting many small ones) are deleted synchronously.
const maxAsyncVictims = 32

// write queues val and idx for h unless the policy refuses them (too big),
// and the deletion of whatever the policy evicts to make room. It returns
// once the writes are queued: Badger batches queued writes from all
// callers, which is what makes Sets fast. Until a write lands, the key's
// lock stays held, so a later write, eviction or disk read of the same key
// waits for it (read-your-writes). Errors of a queued write are counted in
// failedWrites and the entry is forgotten.
func (d *diskTier) write(h uint64, val, idx []byte) error {
	var victims []uint64
	unlock := d.lockKeys([]uint64{h})
	d.mu.Lock()
	admitted := d.policy.Add(h, int64(len(val))+indexCost, func(v uint64) { victims = append(victims, v) })
	d.mu.Unlock()
	if !admitted {
		defer unlock()
		return errors.Join(ErrTooLarge, d.deleteGated([]uint64{h}))
	}
	err := d.commitAsync(unlock, func(txn *badger.Txn) error {
		if err := txn.Set(diskKey(prefixEntry, h), val); err != nil {
			return err
		}
		return txn.Set(diskKey(prefixIndex, h), idx)
	}, func() { d.forget(h) })
	if err != nil || len(victims) == 0 {
		return err
	}
	if len(victims) > maxAsyncVictims {
		return d.evict(victims)
	}
	return d.evictAsync(victims)
}

// evictAsync is evict with the deletions queued rather than awaited.
func (d *diskTier) evictAsync(victims []uint64) error {
	unlock := d.lockKeys(victims)
	gone := d.untracked(victims)
	if len(gone) == 0 {
		unlock()
		return nil
	}
	return d.commitAsync(unlock, func(txn *badger.Txn) error {
		for _, h := range gone {
			if err := txn.Delete(diskKey(prefixEntry, h)); err != nil {
				return err
			}
			if err := txn.Delete(diskKey(prefixIndex, h)); err != nil {
				return err
			}
		}
		return nil
	}, func() {})
}

// commitAsync fills a transaction with fill and queues it, holding gate
// shared until it lands; then, or at once if it fails early, it calls
// onErr on failure and unlock in any case. Close waits for queued commits.
func (d *diskTier) commitAsync(unlock func(), fill func(*badger.Txn) error, onErr func()) error {
	d.gate.RLock()
	d.inflight.Add(1)
	done := func(err error) {
		if err != nil {
			d.failedWrites.Add(1)
			onErr()
		}
		d.gate.RUnlock()
		unlock()
		d.inflight.Done()
	}
	txn := d.db.NewTransaction(true)
	if err := fill(txn); err != nil {
		txn.Discard()
		done(err)
		return err
	}
	txn.CommitWith(done)
	return nil
}

// untracked returns the hashes among hs that the policy does not track.
func (d *diskTier) untracked(hs []uint64) []uint64 {
	out := hs[:0:0]
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, h := range hs {
		if !d.policy.Contains(h) {
			out = append(out, h)
		}
	}
	return out
}

// evict deletes the records of hashes the policy evicted, except those a
// Set has admitted again since.
func (d *diskTier) evict(victims []uint64) error {
	if len(victims) == 0 {
		return nil
	}
	defer d.lockKeys(victims)()
	return d.deleteGated(d.untracked(victims))
}

// remove forgets hs and deletes their records.
func (d *diskTier) remove(hs ...uint64) error {
	defer d.lockKeys(hs)()
	for _, h := range hs {
		d.forget(h)
	}
	return d.deleteGated(hs)
}

// discard forgets h and deletes its records unless a GC rewrite holds
// writes off, in which case the records are left for the sweeper (which
// deletes records the policy does not know). For the read path, which
// must not wait for a rewrite.
func (d *diskTier) discard(h uint64) {
	defer d.lockKeys([]uint64{h})()
	d.forget(h)
	if d.gate.TryRLock() {
		defer d.gate.RUnlock()
		_ = d.deleteLocked([]uint64{h})
	}
}

func (d *diskTier) forget(h uint64) {
	d.mu.Lock()
	d.policy.Remove(h)
	d.mu.Unlock()
}

// setCapacity changes the live budget and deletes what no longer fits.
func (d *diskTier) setCapacity(c int64) error {
	var victims []uint64
	d.mu.Lock()
	d.policy.SetCapacity(c, func(v uint64) { victims = append(victims, v) })
	d.mu.Unlock()
	return d.evict(victims)
}

// lockKeys locks the key locks of hs in ascending order (so that two
// callers never deadlock) and returns the function that unlocks them.
func (d *diskTier) lockKeys(hs []uint64) (unlock func()) {
	idx := make([]int, 0, len(hs))
	for _, h := range hs {
		idx = append(idx, int(h%uint64(len(d.keyLocks))))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		d.keyLocks[i].Lock()
	}
	return func() {
		for _, i := range idx {
			d.keyLocks[i].Unlock()
		}
	}
}

// deleteGated deletes the records of hs, outside GC rewrites. Callers hold
// the key locks of hs.
func (d *diskTier) deleteGated(hs []uint64) error {
	if len(hs) == 0 {
		return nil
	}
	d.gate.RLock()
	defer d.gate.RUnlock()
	return d.deleteLocked(hs)
}

// deleteLocked deletes the entry and index records of hs from Badger; it
// does not touch the policy. Callers hold gate and the key locks of hs.
func (d *diskTier) deleteLocked(hs []uint64) error {
	wb := d.db.NewWriteBatch()
	defer wb.Cancel()
	for _, h := range hs {
		if err := wb.Delete(diskKey(prefixEntry, h)); err != nil {
			return err
		}
		if err := wb.Delete(diskKey(prefixIndex, h)); err != nil {
			return err
		}
	}
	return wb.Flush()
}
