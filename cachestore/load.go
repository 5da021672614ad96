package cachestore

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"pixcdn/cachestore/internal/s3fifo"
)

// loadIndex rebuilds the disk tier's policy and the live bytes of segments
// from the Badger records (keys and their small values, which live in the
// LSM tree), and deletes the records that do not fit the budget or point
// at frames that are not there (a segment lost, or a tail cut short).
func loadIndex(db *badger.DB, segs *segments, budget int64, watch *dirWatch) (*diskTier, error) {
	d := &diskTier{db: db, segs: segs, nominal: budget, policy: s3fifo.New(budget)}
	d.closed, d.watch = make(chan struct{}), watch
	var hs, drop []uint64
	var ptrs []pointer
	var maxSeg uint32
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixRecord}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			h, ok := keyHash(it.Item().Key())
			if !ok {
				continue
			}
			p, err := itemPointer(it.Item())
			if err != nil {
				drop = append(drop, h)
				continue
			}
			maxSeg = max(maxSeg, p.seg)
			hs, ptrs = append(hs, h), append(ptrs, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cachestore: load index: %w", err)
	}
	segs.reserveIDs(maxSeg)
	// Every record is located, even one dropped below: deleting it
	// subtracts its bytes again.
	there := segs.preload(hs, ptrs)
	d.policy.Reserve(len(hs))
	for i, h := range hs {
		if !there[i] || !d.policy.Preload(h, ptrs[i].n+indexCost) {
			drop = append(drop, h) // frame missing, or over budget
		}
	}
	d.startWriter()
	return d, d.evict(drop)
}

// itemPointer decodes the pointer of a record.
func itemPointer(item *badger.Item) (p pointer, err error) {
	verr := item.Value(func(v []byte) error {
		p, _, err = decodePointer(v)
		return nil
	})
	if verr != nil {
		return p, verr
	}
	return p, err
}

// keyHash returns the hash in a record key.
func keyHash(k []byte) (uint64, bool) {
	if len(k) != 9 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[1:]), true
}

// loadGenerations reads every persisted purge counter, and returns as
// floor the clock persisted when counters were last trimmed (0 if never).
func loadGenerations(db *badger.DB) (g *generations, floor uint64, err error) {
	g = newGenerations()
	err = db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, Prefix: []byte{prefixGen}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var scopes []scope // none for the clock: apply only advances it
			isClock := bytes.Equal(it.Item().Key(), clockKey)
			if !isClock {
				s, err := parseScopeKey(it.Item().Key())
				if err != nil {
					continue // not ours: ignore rather than refuse to start
				}
				scopes = []scope{s}
			}
			err := it.Item().Value(func(v []byte) error {
				if len(v) != 8 {
					return nil
				}
				gen := binary.BigEndian.Uint64(v)
				g.apply(scopes, gen)
				if isClock {
					floor = gen
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
		return nil, 0, fmt.Errorf("cachestore: load generations: %w", err)
	}
	return g, floor, nil
}
