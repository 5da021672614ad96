package cachestore

import (
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// maxRewritesPerRun bounds the value-log files one GC run rewrites.
const maxRewritesPerRun = 64

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

// collectGarbage deletes orphaned entry records, rewrites value-log files
// holding at least GCDiscardRatio garbage, measures Dir, and refits the
// live budget so that Dir stays within DiskBytes.
func (s *Store) collectGarbage() {
	s.life.RLock()
	defer s.life.RUnlock()
	if s.closed.Load() || s.cfg.Dir == "" {
		return
	}
	if err := s.disk.evict(s.disk.findOrphans(s.closing)); err != nil {
		s.cfg.Logger.Warn("cachestore: deleting orphaned records failed", "err", err)
	}
	for i := 0; i < maxRewritesPerRun; i++ {
		err := s.disk.runGC(s.cfg.GCDiscardRatio)
		if err != nil {
			if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
				s.cfg.Logger.Warn("cachestore: value-log GC failed", "dir", s.cfg.Dir, "err", err)
			}
			break
		}
		s.gcRewrites.Add(1)
	}
	size := dirBytes(s.cfg.Dir)
	s.dirBytes.Store(size)
	if err := s.disk.setCapacity(s.fitBudget(size)); err != nil {
		s.cfg.Logger.Warn("cachestore: evicting to fit the disk budget failed", "err", err)
	}
}

// fitBudget returns the live budget for the next interval given the
// directory's measured size: lowered by the overshoot (at most a tenth per
// run, never below a quarter of nominal: garbage shows up in GC's
// statistics late, and evicting in a rush only makes more of it) when Dir
// exceeds DiskBytes, raised halfway back towards the nominal budget when
// Dir is comfortably (5%) below it.
func (s *Store) fitBudget(dir int64) int64 {
	cur := s.disk.stats().Capacity
	limit := s.cfg.DiskBytes
	switch {
	case dir > limit:
		return max(cur-min(dir-limit, cur/10), s.disk.nominal/4)
	case dir < limit*95/100 && cur < s.disk.nominal:
		return min(cur+(limit*95/100-dir)/2, s.disk.nominal)
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
