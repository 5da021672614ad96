package cachestore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Disk faults. The store watches its directory (every HealthInterval it
// checks that Dir and Dir/segments are still the directories it opened and
// that the file system has room) and classifies the errors of its disk
// writes. On a fault it degrades instead of failing: Gets and Sets go on
// from the memory tier, one line is logged, and Health reports why.
//
//   - FaultDirGone (Dir or its contents removed) and FaultIO (any other
//     write error, or any error of Badger's) drop the disk tier: Badger
//     and the segments are closed in the background, within a bound,
//     and Dir is recreated and reopened empty as soon as it can be; until
//     then the store is memory-only.
//   - FaultDiskFull and FaultReadOnly stop disk writes but keep serving
//     what the disk tier holds. A probe retries every HealthInterval and
//     writing resumes, without a restart, once it succeeds.
//
// Recovering logs one more line.

// DiskFault says why the disk tier is degraded.
type DiskFault string

// The faults Health reports; the strings are metric label values.
const (
	FaultDirGone  DiskFault = "dir_gone"  // Dir or its contents were removed
	FaultDiskFull DiskFault = "disk_full" // no space left (or below the low-water mark)
	FaultReadOnly DiskFault = "read_only" // the file system refuses writes
	FaultIO       DiskFault = "io_error"  // any other write error, or an error of Badger's
)

// Faults lists every DiskFault, for metrics.
var Faults = []DiskFault{FaultDirGone, FaultDiskFull, FaultReadOnly, FaultIO}

// Health is the state of the disk tier.
type Health struct {
	// Fault is why the disk tier is degraded; "" while it is healthy.
	Fault DiskFault
	// Since is when Fault was detected.
	Since time.Time
	// Faults counts the faults detected since New, by kind.
	Faults map[DiskFault]uint64
	// Reopens counts the times the disk tier was reopened empty after a
	// fault that dropped it.
	Reopens uint64
}

// OK reports whether the disk tier is healthy.
func (h Health) OK() bool { return h.Fault == "" }

// Health returns the disk tier's state. Safe for concurrent use; cheap.
func (s *Store) Health() Health {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	h := Health{Fault: s.health.fault, Since: s.health.since, Reopens: s.health.reopens,
		Faults: make(map[DiskFault]uint64, len(Faults))}
	for _, f := range Faults {
		h.Faults[f] = s.health.faults[f]
	}
	return h
}

// healthState is the store's record of disk faults. mu serialises every
// transition between healthy and degraded.
type healthState struct {
	mu      sync.Mutex
	fault   DiskFault
	since   time.Time
	faults  map[DiskFault]uint64
	reopens uint64
	// dir and segs are Dir and Dir/segments as opened, to tell when they
	// are removed or replaced.
	dir, segs os.FileInfo
	// retiring holds the dropped disk tiers still closing in the background.
	retiring []*diskTier
	// unsaved means purge counters changed while the disk tier could not
	// store them: they are written when it can again.
	unsaved bool
}

// dropsTier reports whether f makes the store drop its disk tier (rather
// than only stop writing to it).
func (f DiskFault) dropsTier() bool { return f == FaultDirGone || f == FaultIO }

// classify returns the fault a disk write error means.
func classify(err error) DiskFault {
	var errno syscall.Errno
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return FaultDirGone
	case errors.As(err, &errno) && (errno == syscall.ENOSPC || errno == syscall.EDQUOT):
		return FaultDiskFull
	case errors.As(err, &errno) && errno == syscall.EROFS:
		return FaultReadOnly
	default:
		return FaultIO
	}
}

// healthLoop checks the disk tier every HealthInterval, and retries
// reopening or resuming it while it is degraded.
func (s *Store) healthLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.checkDisk()
		}
	}
}

// checkDisk runs one health check: while healthy, a look for a fault;
// while degraded, an attempt to recover.
func (s *Store) checkDisk() {
	if s.cfg.Dir == "" {
		return
	}
	s.health.mu.Lock()
	fault := s.health.fault
	s.health.mu.Unlock()
	switch {
	case fault == "":
		if f, err := s.inspectDir(); f != "" {
			s.degrade(s.disk(), f, err)
		}
	case fault.dropsTier():
		s.tryReopen()
	default:
		s.tryResume()
	}
}

// inspectDir returns the fault it finds in Dir, if any: Dir or
// Dir/segments removed or replaced, or less free space than the low-water
// mark.
func (s *Store) inspectDir() (DiskFault, error) {
	s.health.mu.Lock()
	dir, segs := s.health.dir, s.health.segs
	s.health.mu.Unlock()
	for _, want := range []struct {
		path string
		info os.FileInfo
	}{{s.cfg.Dir, dir}, {filepath.Join(s.cfg.Dir, segDirName), segs}} {
		info, err := os.Stat(want.path)
		if err != nil {
			return FaultDirGone, err
		}
		if want.info != nil && !os.SameFile(info, want.info) {
			return FaultDirGone, errors.New("cachestore: " + want.path + " was replaced")
		}
	}
	if free, ok := freeBytes(s.cfg.Dir); ok && free < s.cfg.lowWater() {
		return FaultDiskFull, syscall.ENOSPC
	}
	return "", nil
}

// degrade records fault on disk tier d (ignored if d is no longer the
// store's) and acts on it: a fault that drops the tier swaps in an empty,
// memory-only one and closes d in the background; the others stop d's
// writes and free the space reserve. It logs one line per transition.
func (s *Store) degrade(d *diskTier, fault DiskFault, cause error) {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	if d != s.disk() || s.closed.Load() {
		return
	}
	prev := s.health.fault
	if prev == fault || (prev != "" && !fault.dropsTier()) {
		return // already degraded at least as much
	}
	d.halt()
	s.health.faults[fault]++
	s.health.fault, s.health.since = fault, time.Now()
	if fault.dropsTier() {
		s.retireLocked(d)
		s.cfg.Logger.Warn("cachestore: disk cache lost, serving from memory until it is reopened",
			"dir", s.cfg.Dir, "fault", string(fault), "err", cause)
		return
	}
	_ = os.Remove(reservePath(s.cfg.Dir)) // room for what Badger has in flight
	s.cfg.Logger.Warn("cachestore: disk cache cannot be written, serving what it holds and the memory tier",
		"dir", s.cfg.Dir, "fault", string(fault), "err", cause)
}

// recoveredLocked marks the store healthy and logs it. Callers hold
// health.mu.
func (s *Store) recoveredLocked(msg string) {
	s.cfg.Logger.Info(msg, "dir", s.cfg.Dir, "fault", string(s.health.fault),
		"after", time.Since(s.health.since).Round(time.Millisecond))
	s.health.fault, s.health.since = "", time.Time{}
}

// tryResume resumes writing to a tier stopped by FaultDiskFull or
// FaultReadOnly once a probe file can be written, there is room for the
// space reserve above the low-water mark, and the reserve is back.
func (s *Store) tryResume() {
	if f, err := s.inspectDir(); f == FaultDirGone {
		s.degrade(s.disk(), f, err) // escalates: the tier is dropped
		return
	}
	if free, ok := freeBytes(s.cfg.Dir); ok && free < s.cfg.lowWater()*3/2+s.cfg.reserveBytes() {
		return
	}
	if probeWrite(s.cfg.Dir) != nil || makeReserve(s.cfg.Dir, s.cfg.reserveBytes()) != nil {
		return
	}
	s.purgeMu.Lock() // no purge between saving the counters and resuming
	defer s.purgeMu.Unlock()
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	d := s.disk()
	if s.health.fault == "" || s.health.fault.dropsTier() || s.closed.Load() {
		return
	}
	if s.health.unsaved {
		if err := s.saveCounters(d); err != nil {
			return
		}
		s.health.unsaved = false
	}
	d.resume()
	s.recoveredLocked("cachestore: disk cache writable again")
}

// probeWrite writes, syncs and removes a small file in dir.
func probeWrite(dir string) error {
	name := filepath.Join(dir, ".probe")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer os.Remove(name)
	_, err = f.Write(make([]byte, 64<<10))
	return errors.Join(err, f.Sync(), f.Close())
}
