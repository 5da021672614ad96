package cachestore

import (
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"

	"pixcdn/cachestore/internal/s3fifo"
)

// diskTier is the disk tier: entry frames in segment files, and per key
// hash a small Badger record (pointer and index record); in memory the
// pointers again (segments.locs, what reads use) and an S3-FIFO over key
// hashes and sizes that decides what stays. Safe for
// concurrent use.
type diskTier struct {
	db      *badger.DB
	segs    *segments
	nominal int64 // live budget when the directory is within DiskBytes
	mu      sync.Mutex
	policy  *s3fifo.Policy
	// keys order, per key hash, every change of its Badger record: a Set's
	// admission and write, a deletion, a compaction move. A queued change
	// holds the lock until it has landed, so a later one never overtakes
	// it (a delete landing after a newer write would leave a record the
	// policy does not know; a move landing after a Set would revert it).
	keys keyLocks
	// inflight counts queued groups of writes; Close waits for them.
	inflight sync.WaitGroup
	// queue feeds the writer goroutine (writer.go), which closes
	// writerDone when it exits after stopWriter.
	queue        chan pendingWrite
	writerDone   chan struct{}
	stopOnce     sync.Once
	failedWrites atomic.Uint64
	tierState
}

// indexCost is what an entry's Badger record and keys are charged against
// the budget on top of its frame: a flat estimate.
const indexCost = 128

func recordKey(h uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixRecord}, h)
}

// errNotFound means the disk tier holds no record for a key.
var errNotFound = errors.New("cachestore: not on disk")

// read returns h's record, read from its segment and verified. Errors:
// errNotFound (no record), errSegmentGone or errShortFrame (the frame is
// not there: deleted segment, lost tail), errBadFrame or ErrCorrupt
// (damaged bytes), or an I/O error. The record aliases a new buffer.
func (d *diskTier) read(h uint64) (record, error) {
	if !d.tracks(h) {
		return record{}, errNotFound
	}
	// A write of h queued before this read may not have landed yet: wait
	// for it (it holds h's key lock until then), so reads see writes.
	d.keys.wait(h)
	p, ok := d.segs.locate(h)
	if !ok {
		return record{}, errNotFound
	}
	frame, err := d.segs.read(p)
	if errors.Is(err, errSegmentGone) || errors.Is(err, errShortFrame) {
		// Compaction may have moved the frame and removed its segment
		// since the pointer was read: look once more.
		if p2, ok := d.segs.locate(h); ok && p2 != p {
			frame, err = d.segs.read(p2)
		}
	}
	if err != nil {
		return record{}, err
	}
	rec, err := decodeFrame(frame, h)
	if errors.Is(err, errBadFrame) && allZero(frame[:frameHeaderLen]) {
		return record{}, errShortFrame // never written: a hole, not damage
	}
	return rec, err
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
