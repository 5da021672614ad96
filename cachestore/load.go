package cachestore

import (
	"encoding/binary"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"pixcdn/cachestore/internal/s3fifo"
)

// loadIndex rebuilds the disk tier's policy from the entry keys on disk,
// reading keys and value sizes only (no values), and deletes what does not
// fit the budget.
func loadIndex(db *badger.DB, budget int64) (*diskTier, error) {
	d := &diskTier{db: db, nominal: budget, policy: s3fifo.New(budget)}
	var victims []uint64
	evict := func(v uint64) { victims = append(victims, v) }
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false, Prefix: []byte{prefixEntry}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			k := item.Key()
			if len(k) != 9 {
				continue
			}
			size := int64(item.ValueSize()) + indexCost
			d.policy.Add(binary.BigEndian.Uint64(k[1:]), size, evict)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cachestore: load index: %w", err)
	}
	return d, d.deleteRecords(victims)
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
