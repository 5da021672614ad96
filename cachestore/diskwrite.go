package cachestore

import (
	"errors"
)

// maxAsyncVictims bounds the deletions one Set queues with its write;
// more (a big entry evicting many small ones) are deleted synchronously.
const maxAsyncVictims = 32

// write queues val and idx for h unless the policy refuses them (too big),
// and the deletion of whatever the policy evicts to make room. It returns
// once the writes are queued: the writer goroutine commits queued writes
// from all callers together (writer.go), which is what makes Sets fast;
// it blocks only while the queue is full. Until a write lands, the key's
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
	err := d.commitAsync(unlock, []mutation{
		{key: diskKey(prefixEntry, h), val: val},
		{key: diskKey(prefixIndex, h), val: idx},
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
	muts := make([]mutation, 0, 2*len(gone))
	for _, h := range gone {
		muts = append(muts, mutation{key: diskKey(prefixEntry, h), del: true},
			mutation{key: diskKey(prefixIndex, h), del: true})
	}
	return d.commitAsync(unlock, muts, func() {})
}

// commitAsync queues muts for the writer, which applies them in one
// transaction, holding gate shared until they land; then it calls onErr
// on failure and unlock in any case. Close waits for queued commits.
func (d *diskTier) commitAsync(unlock func(), muts []mutation, onErr func()) error {
	d.gate.RLock()
	d.inflight.Add(1)
	d.queue <- pendingWrite{muts: muts, done: func(err error) {
		if err != nil {
			d.failedWrites.Add(1)
			onErr()
		}
		d.gate.RUnlock()
		unlock()
		d.inflight.Done()
	}}
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

// lockKeys locks the key locks of hs (see keyLocks.lockAll).
func (d *diskTier) lockKeys(hs []uint64) (unlock func()) { return d.keys.lockAll(hs) }

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
