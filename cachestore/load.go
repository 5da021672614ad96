package cachestore

import (
	"encoding/binary"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"pixcdn/cachestore/internal/s3fifo"
)

// loadIndex rebuilds the disk tier's policy from the keys on disk, reading
// keys and value sizes only (no values). An entry counts only if both its
// entry and index records exist: Badger v4.9.6's value-log GC can bring
// back entry records deleted earlier (index records live in the LSM and do
// not come back), and such records are deleted here, as is whatever does
// not fit the budget.
func loadIndex(db *badger.DB, budget int64) (*diskTier, error) {
	d := &diskTier{db: db, nominal: budget, policy: s3fifo.New(budget)}
	var drop []uint64
	evict := func(v uint64) { drop = append(drop, v) }
	err := db.View(func(txn *badger.Txn) error {
		keysOnly := func(p byte) *badger.Iterator {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{p}})
			it.Rewind()
			return it
		}
		entries, index := keysOnly(prefixEntry), keysOnly(prefixIndex)
		defer entries.Close()
		defer index.Close()
		for ; entries.Valid(); entries.Next() {
			h, ok := keyHash(entries.Item().Key())
			if !ok {
				continue
			}
			for ; index.Valid() && indexHash(index) < h; index.Next() {
				drop = append(drop, indexHash(index)) // index without entry
			}
			if !index.Valid() || indexHash(index) != h {
				drop = append(drop, h) // entry without index: resurrected
				continue
			}
			d.policy.Add(h, int64(entries.Item().ValueSize())+indexCost, evict)
		}
		for ; index.Valid(); index.Next() {
			drop = append(drop, indexHash(index))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cachestore: load index: %w", err)
	}
	return d, d.evict(drop)
}

// keyHash returns the hash in an entry or index key.
func keyHash(k []byte) (uint64, bool) {
	if len(k) != 9 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[1:]), true
}

func indexHash(it *badger.Iterator) uint64 {
	h, _ := keyHash(it.Item().Key())
	return h
}

// findOrphans lists the hashes of entry records the policy does not track
// (see loadIndex for how they arise), reading keys only.
func (d *diskTier) findOrphans(stop func() bool) []uint64 {
	var orphans []uint64
	_ = d.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixEntry}})
		defer it.Close()
		n := 0
		for it.Rewind(); it.Valid(); it.Next() {
			if n++; n%sweepBatch == 0 && stop() {
				return nil
			}
			if h, ok := keyHash(it.Item().Key()); ok && !d.tracks(h) {
				orphans = append(orphans, h)
			}
		}
		return nil
	})
	return orphans
}

// loadGenerations reads every persisted purge counter.
func loadGenerations(db *badger.DB) (*generations, error) {
	g := newGenerations()
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, Prefix: []byte{prefixGen}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			s, err := parseScopeKey(it.Item().Key())
			if err != nil {
				continue // not ours: ignore rather than refuse to start
			}
			err = it.Item().Value(func(v []byte) error {
				if len(v) == 8 {
					g.apply([]scope{s}, binary.BigEndian.Uint64(v))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cachestore: load generations: %w", err)
	}
	return g, nil
}
