package cachestore

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Coalescing writer. Badger v4.9.6's DB.NewTransaction waits until every
// transaction committed before it has been applied (oracle.readTs), so a
// transaction per Set lets at most one Set's write be in flight. Instead,
// Sets, deletions and compaction moves queue their mutations and one
// goroutine handles whatever has queued at once: it appends the batch's
// frames to the active segment with one pwritev, then commits the
// batch's Badger records (pointers) in one transaction; while it waits for
// that transaction to land, the next batch accumulates (group commit). A
// pointer is committed only after its frame is written.

const (
	// writeQueueLen bounds queued writes; a writer of the queue blocks
	// when it is full.
	writeQueueLen = 1024
	// maxBatchOps bounds the writes handled in one batch.
	maxBatchOps = 256
)

// mutation is a new frame for key hash h, stored with its index record,
// or, with frame nil, the deletion of h's record.
type mutation struct {
	h     uint64
	frame []byte
	index []byte
	ptr   pointer // where the writer put frame
}

// pendingWrite is one queued mutation and done, called once with the
// result of its commit. A flush carries no mutation: the writer calls its
// done once every write queued before it has been handed to Badger.
type pendingWrite struct {
	mut   mutation
	done  func(error)
	flush bool
}

// startWriter starts the goroutine that commits queued writes; stopWriter
// stops it. The diskTier owns it.
func (d *diskTier) startWriter() {
	d.queue = make(chan pendingWrite, writeQueueLen)
	d.writerDone = make(chan struct{})
	go d.runWriter()
}

// stopWriter closes the queue and waits for the writer to commit what was
// queued. Callers ensure nothing is queued after it starts (Close holds
// life exclusively). Idempotent.
func (d *diskTier) stopWriter() {
	d.stopOnce.Do(func() {
		if d.queue != nil {
			close(d.queue)
			<-d.writerDone
		}
	})
}

func (d *diskTier) runWriter() {
	defer close(d.writerDone)
	batch := make([]pendingWrite, 0, maxBatchOps)
	for w := range d.queue {
		batch = batch[:0]
		more := true // w is a write to add, or a flush
		for more && !w.flush {
			batch = append(batch, w)
			if len(batch) == maxBatchOps {
				break
			}
			select {
			case w, more = <-d.queue:
			default:
				more = false
			}
		}
		switch {
		case len(batch) == 0:
		case !d.writable():
			finish(batch, errDiskHalted)
		case d.watch.gone():
			d.fail(FaultDirGone, errors.New("cachestore: directory removed"))
			finish(batch, errDiskHalted)
		default:
			d.commitBatch(d.appendFrames(batch))
		}
		if more && w.flush { // it ended the batch: what came before is committed
			w.done(nil)
		}
	}
}

// flush waits until every write queued before it has been committed to
// Badger (its commit timestamp taken: a transaction begun afterwards sees
// it, since Badger makes new reads wait for the commits before them).
// Callers hold the store's life lock, as for any write.
func (d *diskTier) flush() {
	done := make(chan struct{})
	d.queue <- pendingWrite{flush: true, done: func(error) { close(done) }}
	<-done
}

// appendFrames writes the frames of ws to the active segment and records
// where they went, and returns ws for committing. If that fails, or would
// pass the low-water mark of free space, the tier is halted, every write
// of ws fails and none is returned. ws is modified.
func (d *diskTier) appendFrames(ws []pendingWrite) []pendingWrite {
	var frames [][]byte
	var n int64
	for _, w := range ws {
		if w.mut.frame != nil {
			frames = append(frames, w.mut.frame)
			n += int64(len(w.mut.frame))
		}
	}
	if len(frames) == 0 {
		return ws
	}
	var ptrs []pointer
	err := errDiskHalted
	if d.space.allow(n) {
		ptrs, err = d.segs.append(frames)
	} else {
		d.fail(FaultDiskFull, fmt.Errorf("cachestore: less than %d bytes free", d.space.low))
	}
	if err != nil {
		// Nothing more is written to this tier until the store has
		// decided what the fault means (health.go): not even the
		// deletions of this batch.
		if !errors.Is(err, errDiskHalted) {
			d.fail(classify(err), err)
		}
		finish(ws, err)
		return nil
	}
	for i := range ws {
		if ws[i].mut.frame != nil {
			ws[i].mut.ptr, ptrs = ptrs[0], ptrs[1:]
		}
	}
	return ws
}

// commitBatch commits ws in as few transactions as Badger's size limit
// allows; a write Badger rejects on its own fails alone.
func (d *diskTier) commitBatch(ws []pendingWrite) {
	for len(ws) > 0 {
		txn := d.db.NewTransaction(true)
		n, err := fillTxn(txn, ws)
		switch {
		case n == len(ws):
			d.commitWrites(txn, ws)
			return
		case n > 0:
			// Write n did not fit, or failed: commit the n before it in a
			// transaction that holds nothing of write n.
			txn.Discard()
			txn = d.db.NewTransaction(true)
			if _, rerr := fillTxn(txn, ws[:n]); rerr != nil {
				txn.Discard()
				finish(ws[:n], rerr)
			} else {
				d.commitWrites(txn, ws[:n])
			}
			ws = ws[n:]
		default:
			txn.Discard()
			finish(ws[:1], err)
			ws = ws[1:]
		}
	}
}

// fillTxn adds the mutations of ws to txn, returning how many it added
// and why the next one did not fit.
func fillTxn(txn *badger.Txn, ws []pendingWrite) (int, error) {
	for i, w := range ws {
		m := &w.mut
		var err error
		if m.frame != nil {
			err = txn.Set(recordKey(m.h), encodePointer(m.ptr, m.index))
		} else {
			err = txn.Delete(recordKey(m.h))
		}
		if err != nil {
			return i, err
		}
	}
	return len(ws), nil
}

// commitWrites queues txn's commit; when it lands, the locations and live
// bytes of segments are updated and every write's done called (which
// releases its key lock). ws is copied: the caller reuses its slice.
func (d *diskTier) commitWrites(txn *badger.Txn, ws []pendingWrite) {
	ws = append([]pendingWrite(nil), ws...)
	txn.CommitWith(func(err error) {
		if err != nil {
			d.fail(badgerFault(err), err)
		}
		if err == nil {
			changes := make([]recordChange, len(ws))
			for i, w := range ws {
				changes[i] = recordChange{h: w.mut.h, p: w.mut.ptr, del: w.mut.frame == nil}
			}
			d.segs.land(changes)
		}
		finish(ws, err)
	})
}

// badgerFault is the fault an error of Badger's means. Whatever it is,
// the store drops the tier: after a failed write Badger may be left
// unable to take another (a memtable it could not create).
func badgerFault(err error) DiskFault {
	if f := classify(err); f == FaultDirGone {
		return f
	}
	return FaultIO
}

func finish(ws []pendingWrite, err error) {
	for _, w := range ws {
		w.done(err)
	}
}
