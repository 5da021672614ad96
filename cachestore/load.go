package cachestore

import (
	"encoding/binary"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"pixcdn/cachestore/internal/s3fifo"
)

// loadIndex rebuilds the disk tier's policy from the entry keys on disk,
// reading keys and value sizes only (no values), and deletes what does not
// fit the budget. Entry records that Badger's value-log GC resurrected are
// indexed too: reads find them without their index record and discard
// them (see diskTier.get).
func loadIndex(db *badger.DB, budget int64) (*diskTier, error) {
	d := &diskTier{db: db, nominal: budget, policy: s3fifo.New(budget)}
	var drop []uint64
	var sizes []int64
	hs, err := scanKeys(db, prefixEntry, func(_ uint64, item *badger.Item) {
		sizes = append(sizes, item.ValueSize()+indexCost)
	})
	if err != nil {
		return nil, fmt.Errorf("cachestore: load index: %w", err)
	}
	d.policy.Reserve(len(hs))
	for i, h := range hs {
		if !d.policy.Preload(h, sizes[i]) {
			drop = append(drop, h) // over budget
		}
	}
	d.startWriter()
	return d, d.evict(drop)
}

// scanKeys iterates the keys under prefix in order, without values, calls
// fn for each and returns their hashes.
func scanKeys(db *badger.DB, prefix byte, fn func(h uint64, item *badger.Item)) ([]uint64, error) {
	var hs []uint64
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefix}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if h, ok := keyHash(it.Item().Key()); ok {
				hs = append(hs, h)
				fn(h, it.Item())
			}
		}
		return nil
	})
	return hs, err
}

// keyHash returns the hash in an entry or index key.
func keyHash(k []byte) (uint64, bool) {
	if len(k) != 9 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[1:]), true
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
