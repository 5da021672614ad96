package cachestore

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dgraph-io/badger/v4"
)

const (
	// maxCompactionsPerRun bounds the segments one GC run compacts.
	maxCompactionsPerRun = 64
	// maxMovesInFlight bounds the frames compaction has read and queued
	// for the writer but not yet seen land.
	maxMovesInFlight = 64
)

// errCompactionStopped means a compaction gave up (the store is closing,
// or a move failed); the segment stays and a later run tries again.
var errCompactionStopped = errors.New("cachestore: compaction stopped")

// noteWritten counts bytes written to disk and asks for a GC run early
// once a sixteenth of DiskBytes has been written since the last request,
// so that heavy write bursts do not outrun GCInterval.
func (s *Store) noteWritten(n int) {
	if s.written.Add(int64(n)) < s.cfg.DiskBytes/16 {
		return
	}
	s.written.Store(0)
	select {
	case s.gcKick <- struct{}{}:
	default: // a run is already pending
	}
}

func (s *Store) gcLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.collectGarbage()
		case <-s.gcKick:
			s.collectGarbage()
		}
	}
}

// collectGarbage compacts the segments holding at least GCDiscardRatio
// garbage, measures Dir, and refits the live budget so that Dir stays
// within DiskBytes.
func (s *Store) collectGarbage() {
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	d, ok := s.useDisk()
	if !ok {
		return
	}
	defer s.done(d)
	if !d.writable() {
		return // nothing can be moved, nor evicted; the disk tier is degraded
	}
	for i, id := range d.segs.garbage(s.cfg.GCDiscardRatio) {
		if i == maxCompactionsPerRun || s.closing() || !d.writable() {
			break
		}
		if err := s.compact(d, id); err != nil {
			if !errors.Is(err, errCompactionStopped) && d.writable() {
				s.cfg.Logger.Warn("cachestore: compacting a segment failed", "dir", s.cfg.Dir, "segment", id, "err", err)
			}
			break
		}
		s.gcRewrites.Add(1)
	}
	if s.cfg.Dir == "" {
		return
	}
	size := dirBytes(s.cfg.Dir) + dirBytes(filepath.Join(s.cfg.Dir, segDirName))
	s.dirBytes.Store(size)
	if err := d.setCapacity(s.fitBudget(d, size)); err != nil && !errors.Is(err, errDiskHalted) {
		s.cfg.Logger.Warn("cachestore: evicting to fit the disk budget failed", "err", err)
	}
}

// compact moves the frames of sealed segment id that records still point
// at to the active segment, through the writer, and removes the segment
// once every move has landed. Each frame is checked and moved under its
// key's lock, so a concurrent Set or Delete of the key is ordered before
// the check (and wins: the frame is no longer pointed at) or after the
// move (and replaces the moved frame). Readers that raced the removal
// look their pointer up again (diskTier.read).
func (s *Store) compact(d *diskTier, id uint32) error {
	slots := make(chan struct{}, maxMovesInFlight)
	var moves sync.WaitGroup
	var failed, stopped atomic.Bool
	err := d.segs.walk(id, func(p pointer, h uint64) bool {
		if s.closing() {
			stopped.Store(true)
			return false
		}
		slots <- struct{}{}
		unlock := d.lockKeys([]uint64{h})
		frame, idx, ok := d.liveFrame(p, h)
		if !ok {
			unlock()
			<-slots
			return true
		}
		moves.Add(1)
		d.commitAsync([]mutation{{h: h, frame: frame, index: idx}}, unlock, func(err error) {
			if err != nil {
				failed.Store(true)
			}
			<-slots
			moves.Done()
		})
		return true
	})
	moves.Wait()
	switch {
	case err != nil:
		return err
	case stopped.Load() || failed.Load():
		return errCompactionStopped
	}
	return d.segs.remove(id)
}

// liveFrame returns the frame at p and the index record stored with it if
// h's record still points at p and the frame is intact. Callers hold h's
// key lock. A hash the policy does not track is not worth moving: its
// record is deleted, or queued for deletion, or never served.
func (d *diskTier) liveFrame(p pointer, h uint64) (frame, idx []byte, ok bool) {
	if cur, found := d.segs.locate(h); !found || cur != p || !d.tracks(h) {
		return nil, nil, false
	}
	err := d.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(recordKey(h))
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			cur, i, err := decodePointer(v)
			if err == nil && cur == p {
				idx, ok = append([]byte(nil), i...), true
			}
			return nil
		})
	})
	if err != nil || !ok {
		return nil, nil, false
	}
	frame, err = d.segs.read(p)
	if err != nil {
		return nil, nil, false
	}
	if _, err := decodeFrame(frame, h); err != nil {
		return nil, nil, false // damaged: not worth keeping; reads will miss
	}
	return frame, idx, true
}

// fitBudget returns the live budget for the next interval given the
// directory's measured size: lowered by the overshoot (at most a tenth per
// run, never below a quarter of nominal: garbage is only reclaimed once a
// segment has enough of it, and evicting in a rush only makes more of it)
// when Dir exceeds DiskBytes, raised halfway back towards the nominal
// budget when Dir is comfortably (5%) below it.
func (s *Store) fitBudget(d *diskTier, dir int64) int64 {
	cur := d.stats().Capacity
	limit := s.cfg.DiskBytes
	switch {
	case dir > limit:
		return max(cur-min(dir-limit, cur/10), d.nominal/4)
	case dir < limit*95/100 && cur < d.nominal:
		return min(cur+(limit*95/100-dir)/2, d.nominal)
	default:
		return cur
	}
}

// dirBytes returns the disk space the files directly in dir occupy
// (allocated blocks, as du counts them: Badger preallocates sparse files).
func dirBytes(dir string) int64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var sum int64
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			sum += st.Blocks * 512
		} else {
			sum += info.Size()
		}
	}
	return sum
}
