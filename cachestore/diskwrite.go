package cachestore

import (
	"cmp"
	"errors"
	"sync"
	"sync/atomic"
)

// maxAsyncVictims bounds the deletions one Set queues with its write;
// more (a big entry evicting many small ones) are awaited.
const maxAsyncVictims = 32

// write queues frame and idx for h unless the policy refuses them (too
// big), and the deletion of whatever the policy evicts to make room. It
// returns once the writes are queued: the writer goroutine handles queued
// writes from all callers together (writer.go), which is what makes Sets
// fast; it blocks only while the queue is full. Until a write lands, the
// key's lock stays held, so a later write, eviction, move or disk read of
// the same key waits for it (read-your-writes). A queued write that fails
// is counted in failedWrites and the entry is forgotten. A halted tier
// refuses with errDiskHalted at once.
func (d *diskTier) write(h uint64, frame, idx []byte) error {
	if !d.writable() {
		return errDiskHalted
	}
	var victims []uint64
	unlock := d.lockKeys([]uint64{h})
	d.mu.Lock()
	admitted := d.policy.Add(h, int64(len(frame))+indexCost, func(v uint64) { victims = append(victims, v) })
	d.mu.Unlock()
	if !admitted {
		return errors.Join(ErrTooLarge, d.commitWait([]mutation{{h: h}}, unlock))
	}
	d.commitAsync([]mutation{{h: h, frame: frame, index: idx}}, unlock, func(err error) {
		if err != nil {
			d.forget(h)
		}
	})
	switch {
	case len(victims) == 0:
		return nil
	case len(victims) > maxAsyncVictims:
		return d.evict(victims)
	default:
		d.evictAsync(victims)
		return nil
	}
}

// evictAsync is evict with the deletions queued rather than awaited.
func (d *diskTier) evictAsync(victims []uint64) {
	unlock := d.lockKeys(victims)
	d.commitAsync(deletions(d.untracked(victims)), unlock, func(error) {})
}

// evict deletes the records of hashes the policy evicted, except those a
// Set has admitted again since, and waits for the deletions to land.
func (d *diskTier) evict(victims []uint64) error {
	if len(victims) == 0 {
		return nil
	}
	unlock := d.lockKeys(victims)
	return d.commitWait(deletions(d.untracked(victims)), unlock)
}

// remove forgets hs and deletes their records, waiting for that to land.
func (d *diskTier) remove(hs ...uint64) error {
	unlock := d.lockKeys(hs)
	for _, h := range hs {
		d.forget(h)
	}
	return d.commitWait(deletions(hs), unlock)
}

// discard forgets h and queues the deletion of its record, without
// waiting: for the read path.
func (d *diskTier) discard(h uint64) {
	unlock := d.lockKeys([]uint64{h})
	d.forget(h)
	d.commitAsync(deletions([]uint64{h}), unlock, func(error) {})
}

func deletions(hs []uint64) []mutation {
	muts := make([]mutation, len(hs))
	for i, h := range hs {
		muts[i].h = h
	}
	return muts
}

// commitWait is commitAsync, waiting for the mutations to land and
// returning the first error.
func (d *diskTier) commitWait(muts []mutation, unlock func()) error {
	res := make(chan error, 1)
	d.commitAsync(muts, unlock, func(err error) { res <- err })
	return <-res
}

// commitAsync queues muts for the writer, each as a write of its own (so
// that any number of them fits Badger's transactions), and returns. Once
// all have landed it calls done with the first error and then unlock,
// which releases the key locks the caller took for muts. Failed writes
// are counted. Close waits for queued writes. On a halted tier nothing is
// queued: done gets errDiskHalted at once.
func (d *diskTier) commitAsync(muts []mutation, unlock func(), done func(error)) {
	if len(muts) == 0 || !d.writable() {
		unlock()
		if len(muts) == 0 {
			done(nil)
		} else {
			done(errDiskHalted)
		}
		return
	}
	d.inflight.Add(1)
	if len(muts) == 1 { // a Set: no bookkeeping of a group
		d.queue <- pendingWrite{mut: muts[0], done: func(err error) {
			if err != nil {
				d.failedWrites.Add(1)
			}
			done(err)
			unlock()
			d.inflight.Done()
		}}
		return
	}
	var (
		left     atomic.Int64
		firstErr error
		errMu    sync.Mutex
	)
	left.Store(int64(len(muts)))
	for _, m := range muts {
		d.queue <- pendingWrite{mut: m, done: func(err error) {
			if err != nil {
				d.failedWrites.Add(1)
				errMu.Lock()
				firstErr = cmp.Or(firstErr, err)
				errMu.Unlock()
			}
			if left.Add(-1) > 0 {
				return
			}
			errMu.Lock()
			err = firstErr
			errMu.Unlock()
			done(err)
			unlock()
			d.inflight.Done()
		}}
	}
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
