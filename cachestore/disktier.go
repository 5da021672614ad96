package cachestore

import (
	"encoding/binary"
	"errors"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"pixcdn/cachestore/internal/s3fifo"
)

// diskTier is the disk tier: records in Badger, and in memory an S3-FIFO
// over their key hashes and sizes that decides what stays. Safe for
// concurrent use.
type diskTier struct {
	db      *badger.DB
	nominal int64 // live budget when the directory is within DiskBytes
	mu      sync.Mutex
	policy  *s3fifo.Policy
	// gate is held shared by every write to Badger and exclusively by a
	// value-log GC rewrite: Badger v4.9.6 reads memtable versions without
	// synchronisation when a rewrite starts (DB.MaxVersion, racing
	// memTable.Put), so no write may run concurrently with one.
	gate sync.RWMutex
}

// runGC rewrites at most one value-log file, with writes held off.
func (d *diskTier) runGC(discardRatio float64) error {
	d.gate.Lock()
	defer d.gate.Unlock()
	return d.db.RunValueLogGC(discardRatio)
}

// update runs fn in a read-write transaction, outside GC rewrites.
func (d *diskTier) update(fn func(txn *badger.Txn) error) error {
	d.gate.RLock()
	defer d.gate.RUnlock()
	return d.db.Update(fn)
}

// indexCost is what an entry's index record and keys are charged against
// the budget: a flat estimate, so that opening need not read index records.
const indexCost = 128

func diskKey(prefix byte, h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefix}, h)
}

// read returns the stored bytes for h, or ok=false when h is unknown. The
// returned slice is newly allocated and owned by the caller.
func (d *diskTier) read(h uint64) (val []byte, ok bool, err error) {
	d.mu.Lock()
	known := d.policy.Contains(h)
	d.mu.Unlock()
	if !known {
		return nil, false, nil
	}
	err = d.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(diskKey(prefixEntry, h))
		if err != nil {
			return err
		}
		val, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		d.forget(h) // evicted concurrently, or lost in a crash
		return nil, false, nil
	}
	return val, err == nil, err
}

// hit counts an access to h. With wait false it gives up rather than wait
// for the lock: memory-tier hits report here and must not queue behind
// writers, and a lost hit only makes the policy slightly less informed.
func (d *diskTier) hit(h uint64, wait bool) {
	if wait {
		d.mu.Lock()
	} else if !d.mu.TryLock() {
		return
	}
	d.policy.Hit(h)
	d.mu.Unlock()
}

// write stores val and idx for h unless the policy refuses them (too big),
// and deletes whatever the policy evicts to make room.
func (d *diskTier) write(h uint64, val, idx []byte) error {
	var victims []uint64
	d.mu.Lock()
	admitted := d.policy.Add(h, int64(len(val))+indexCost, func(v uint64) { victims = append(victims, v) })
	d.mu.Unlock()
	if !admitted {
		return errors.Join(ErrTooLarge, d.deleteRecords([]uint64{h}))
	}
	err := d.update(func(txn *badger.Txn) error {
		if err := txn.Set(diskKey(prefixEntry, h), val); err != nil {
			return err
		}
		return txn.Set(diskKey(prefixIndex, h), idx)
	})
	if err != nil {
		d.forget(h)
	}
	return errors.Join(err, d.deleteRecords(victims))
}

// discard forgets h and deletes its records unless a GC rewrite holds
// writes off, in which case the records are left for the sweeper (which
// deletes records the policy does not know). For the read path, which
// must not wait for a rewrite.
func (d *diskTier) discard(h uint64) {
	d.forget(h)
	if d.gate.TryRLock() {
		defer d.gate.RUnlock()
		_ = d.deleteLocked([]uint64{h})
	}
}

// remove forgets h and deletes its records.
func (d *diskTier) remove(h uint64) error {
	d.forget(h)
	return d.deleteRecords([]uint64{h})
}

func (d *diskTier) forget(h uint64) {
	d.mu.Lock()
	d.policy.Remove(h)
	d.mu.Unlock()
}

// deleteRecords deletes the entry and index records of hs from Badger; it
// does not touch the policy.
func (d *diskTier) deleteRecords(hs []uint64) error {
	if len(hs) == 0 {
		return nil
	}
	d.gate.RLock()
	defer d.gate.RUnlock()
	return d.deleteLocked(hs)
}

// deleteLocked is deleteRecords for a caller holding gate.
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

// setCapacity changes the live budget and deletes what no longer fits.
func (d *diskTier) setCapacity(c int64) error {
	var victims []uint64
	d.mu.Lock()
	d.policy.SetCapacity(c, func(v uint64) { victims = append(victims, v) })
	d.mu.Unlock()
	return d.deleteRecords(victims)
}

func (d *diskTier) stats() TierStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return TierStats{Bytes: d.policy.Bytes(), Entries: d.policy.Len(),
		Evictions: d.policy.Evictions(), Capacity: d.policy.Capacity()}
}

// tracks reports whether the policy holds h.
func (d *diskTier) tracks(h uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.policy.Contains(h)
}
