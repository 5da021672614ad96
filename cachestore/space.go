package cachestore

import (
	"os"
	"path/filepath"
	"sync/atomic"
)

// space keeps the disk tier's writes from filling the file system: Badger
// writes its logs and tables through memory maps, and a process touching
// a mapped page the file system has no room for is killed (SIGBUS). So
// the writer stops (FaultDiskFull) while lowWater bytes are still free,
// and a reserve file of reserveBytes, allocated at open, is deleted when
// that happens, to give Badger room for the flushes and compactions it
// has in flight.
type space struct {
	dir  string
	low  int64
	left atomic.Int64 // bytes the writer may append before measuring again
}

func newSpace(cfg Config) *space {
	if cfg.Dir == "" {
		return nil
	}
	return &space{dir: cfg.Dir, low: cfg.lowWater()}
}

// allow reports whether n more bytes may be appended. It measures the
// free space whenever half of the room it saw last may have been used
// (by this store or anyone else).
func (sp *space) allow(n int64) bool {
	if sp == nil {
		return true
	}
	if sp.left.Add(-n) >= 0 {
		return true
	}
	free, ok := freeBytes(sp.dir)
	if !ok {
		sp.left.Store(1 << 62) // no way to know: let writes fail instead
		return true
	}
	room := free - sp.low
	if room < n {
		sp.left.Store(0)
		return false
	}
	sp.left.Store((room - n) / 2)
	return true
}

// reservePath is the space reserve's file in dir.
func reservePath(dir string) string { return filepath.Join(dir, "reserve.space") }

// makeReserve allocates the space reserve in dir, if it is not there.
func makeReserve(dir string, n int64) error {
	name := reservePath(dir)
	if info, err := os.Stat(name); err == nil && info.Size() == n {
		return nil
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := allocate(f, n); err != nil {
		f.Close()
		os.Remove(name)
		return err
	}
	return f.Close()
}

// lowWater is the free space below which the disk tier stops writing:
// two memtables' logs.
func (c Config) lowWater() int64 { return clamp(2*c.MemTableBytes, 512<<10, 32<<20) }

// reserveBytes is the size of the space reserve: what Badger may write
// after the writer stopped (a memtable flush, a compaction).
func (c Config) reserveBytes() int64 { return clamp(4*c.MemTableBytes, 1<<20, 64<<20) }
