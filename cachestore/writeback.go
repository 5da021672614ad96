package cachestore

import (
	"os"
	"path/filepath"
	"strings"
)

// Badger v4.9.6 msyncs a whole value-log file, synchronously and inside
// its single write goroutine, when it moves on to the next file
// (logFile.doneWriting → MmapFile.Truncate → Sync). With nothing else
// pushing the dirty pages out, every rotation stalled all writes while
// ValueLogFileBytes went to disk: 40% of the wall time of a run of Sets.
// The writeback goroutine starts the kernel writing the current value-log
// file back, without waiting, every writebackBytes queued, so that the
// msync finds little left to do and disk I/O overlaps the CPU work. It
// changes no durability guarantee: pages reach disk sooner, never later.

// writebackBytes is how many bytes of queued writes trigger a writeback.
const writebackBytes = 4 << 20

// vlogWriteback starts writeback of the newest value-log file in dir. It
// keeps that file open between calls; close releases it. Used by one
// goroutine at a time.
type vlogWriteback struct {
	dir  string
	name string
	f    *os.File
}

// kick starts writeback of the newest value-log file. Errors are ignored:
// this is an optimisation, and Badger's own msync still follows.
func (w *vlogWriteback) kick() {
	name := newestVlog(w.dir)
	if name == "" {
		return
	}
	if name != w.name {
		w.close()
		f, err := os.Open(filepath.Join(w.dir, name))
		if err != nil {
			return
		}
		w.name, w.f = name, f
	}
	startWriteback(w.f)
}

func (w *vlogWriteback) close() {
	if w.f != nil {
		_ = w.f.Close()
	}
	w.name, w.f = "", nil
}

// newestVlog returns the name of the value-log file with the highest
// number in dir (the one Badger appends to), or "" if there is none.
func newestVlog(dir string) string {
	d, err := os.Open(dir)
	if err != nil {
		return ""
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	var newest string
	for _, n := range names {
		if !strings.HasSuffix(n, ".vlog") {
			continue
		}
		// Numbers are zero-padded to six digits; longer means larger.
		if len(n) > len(newest) || (len(n) == len(newest) && n > newest) {
			newest = n
		}
	}
	return newest
}

// runWriteback serves writeback requests from kicks until it is closed.
func runWriteback(dir string, kicks <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	w := vlogWriteback{dir: dir}
	defer w.close()
	for range kicks {
		w.kick()
	}
}
