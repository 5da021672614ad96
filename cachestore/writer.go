package cachestore

import "github.com/dgraph-io/badger/v4"

// Coalescing writer. Badger v4.9.6's DB.NewTransaction waits until every
// transaction committed before it has been applied (oracle.readTs), so a
// transaction per Set lets at most one Set's write be in flight: that wait,
// not CPU, bounded Sets to a few thousand a second. Instead, Sets queue
// their mutations and one goroutine commits whatever has queued in one
// transaction; while it waits for the previous transaction to land, the
// next batch accumulates (group commit).

const (
	// writeQueueLen bounds queued writes; a Set blocks when it is full.
	writeQueueLen = 1024
	// maxBatchOps bounds the writes committed in one transaction.
	maxBatchOps = 256
)

// mutation is one key's new value, or its deletion when del is set.
type mutation struct {
	key, val []byte
	del      bool
}

// pendingWrite is a queued write: mutations applied atomically (in one
// transaction), and done, called once with the commit's result.
type pendingWrite struct {
	muts []mutation
	done func(error)
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
		batch = append(batch[:0], w)
	drain:
		for len(batch) < maxBatchOps {
			select {
			case w, ok := <-d.queue:
				if !ok {
					break drain
				}
				batch = append(batch, w)
			default:
				break drain
			}
		}
		d.commitBatch(batch)
	}
}

// commitBatch commits ws in as few transactions as Badger's size limit
// allows, each write whole in one transaction; a write Badger rejects on
// its own fails alone.
func (d *diskTier) commitBatch(ws []pendingWrite) {
	for len(ws) > 0 {
		txn := d.db.NewTransaction(true)
		n, err := fillTxn(txn, ws)
		switch {
		case n == len(ws):
			commitWrites(txn, ws)
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
				commitWrites(txn, ws[:n])
			}
			ws = ws[n:]
		default:
			txn.Discard()
			finish(ws[:1], err)
			ws = ws[1:]
		}
	}
}

// fillTxn adds the mutations of ws to txn, returning how many writes it
// added whole; err says why the next one did not fit.
func fillTxn(txn *badger.Txn, ws []pendingWrite) (int, error) {
	for i, w := range ws {
		for _, m := range w.muts {
			var err error
			if m.del {
				err = txn.Delete(m.key)
			} else {
				err = txn.Set(m.key, m.val)
			}
			if err != nil {
				return i, err
			}
		}
	}
	return len(ws), nil
}

// commitWrites queues txn's commit and calls every write's done when it
// lands. ws is copied: the caller reuses its slice.
func commitWrites(txn *badger.Txn, ws []pendingWrite) {
	ws = append([]pendingWrite(nil), ws...)
	txn.CommitWith(func(err error) { finish(ws, err) })
}

func finish(ws []pendingWrite, err error) {
	for _, w := range ws {
		w.done(err)
	}
}
