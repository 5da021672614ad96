package cachestore

import (
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"

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
	// keys order, per key hash, a Set's admission and write against
	// the deletion of the same hash as a victim, so that a delete can never
	// land after a newer write of the key (which would leave the record on
	// disk with the policy unaware of it: space that is never reclaimed).
	keys keyLocks
	// inflight counts queued commits; Close waits for them.
	inflight sync.WaitGroup
	// queue feeds the writer goroutine (writer.go), which closes
	// writerDone when it exits after stopWriter.
	queue        chan pendingWrite
	writerDone   chan struct{}
	stopOnce     sync.Once
	failedWrites atomic.Uint64
}

// runGC rewrites at most one value-log file, with writes held off.
func (d *diskTier) runGC(discardRatio float64) error {
	d.gate.Lock()
	defer d.gate.Unlock()
	return d.db.RunValueLogGC(discardRatio)
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
	val, err = d.get(h)
	if errors.Is(err, badger.ErrKeyNotFound) && d.tracks(h) {
		// A Set of h may have been admitted and its write not landed yet:
		// wait for it (it holds h's key lock until then) and look again.
		d.lockKeys([]uint64{h})()
		val, err = d.get(h)
	}
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil // evicted or deleted meanwhile
	}
	return val, err == nil, err
}

// errResurrected marks an entry record without its index record: one that
// Badger v4.9.6's value-log GC wrote back after it was deleted (the index
// record, kept in the LSM, stays deleted). It must not be served.
var errResurrected = errors.New("cachestore: entry record without index record")

// get reads h's entry record, checking that its index record exists.
func (d *diskTier) get(h uint64) (val []byte, err error) {
	err = d.db.View(func(txn *badger.Txn) error {
		if _, err := txn.Get(diskKey(prefixIndex, h)); errors.Is(err, badger.ErrKeyNotFound) {
			if _, eerr := txn.Get(diskKey(prefixEntry, h)); eerr == nil {
				return errResurrected
			}
			return err
		} else if err != nil {
			return err
		}
		item, err := txn.Get(diskKey(prefixEntry, h))
		if err != nil {
			return err
		}
		val, err = item.ValueCopy(nil)
		return err
	})
	return val, err
}

// hit counts an access to h.
func (d *diskTier) hit(h uint64) {
	d.mu.Lock()
	d.policy.Hit(h)
	d.mu.Unlock()
}

// hitAll counts accesses served by the memory tier, so that the disk
// tier keeps what is hot in memory too. It gives up rather than wait for
// the lock: a lost batch only leaves the policy slightly less informed.
func (d *diskTier) hitAll(hs []uint64) {
	if !d.mu.TryLock() {
		return
	}
	for _, h := range hs {
		d.policy.Hit(h)
	}
	d.mu.Unlock()
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
