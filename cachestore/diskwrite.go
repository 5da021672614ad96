package cachestore

import (
	"errors"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// write stores val and idx for h unless the policy refuses them (too big),
// and deletes whatever the policy evicts to make room.
func (d *diskTier) write(h uint64, val, idx []byte) error {
	var victims []uint64
	unlock := d.lockKeys([]uint64{h})
	d.mu.Lock()
	admitted := d.policy.Add(h, int64(len(val))+indexCost, func(v uint64) { victims = append(victims, v) })
	d.mu.Unlock()
	var err error
	if admitted {
		err = d.update(func(txn *badger.Txn) error {
			if err := txn.Set(diskKey(prefixEntry, h), val); err != nil {
				return err
			}
			return txn.Set(diskKey(prefixIndex, h), idx)
		})
		if err != nil {
			d.forget(h)
		}
	} else {
		err = errors.Join(ErrTooLarge, d.deleteGated([]uint64{h}))
	}
	unlock()
	return errors.Join(err, d.evict(victims))
}

// evict deletes the records of hashes the policy evicted, except those a
// Set has admitted again since.
func (d *diskTier) evict(victims []uint64) error {
	if len(victims) == 0 {
		return nil
	}
	defer d.lockKeys(victims)()
	gone := victims[:0:0]
	d.mu.Lock()
	for _, v := range victims {
		if !d.policy.Contains(v) {
			gone = append(gone, v)
		}
	}
	d.mu.Unlock()
	return d.deleteGated(gone)
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
