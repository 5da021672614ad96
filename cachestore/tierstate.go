package cachestore

import (
	"errors"
	"sync"
	"sync/atomic"

	"pixcdn/cachestore/internal/s3fifo"
)

// errDiskHalted fails the disk writes of a tier that stopped writing
// after a fault (health.go); Set and Delete then act on memory alone.
var errDiskHalted = errors.New("cachestore: disk tier not writable")

// tierState is the part of a diskTier that lets the store stop, drop and
// close it while it is in use.
type tierState struct {
	// halted stops every disk write: queued ones fail with errDiskHalted
	// without reaching the segments or Badger.
	halted atomic.Bool
	// reported holds a bit per DiskFault already passed to onFault.
	reported atomic.Uint32
	// onFault is told, once per kind, of the faults the writer meets.
	onFault func(d *diskTier, fault DiskFault, err error)
	// quiet silences Badger's logger once the tier is dropped.
	quiet *atomic.Bool
	// space guards the file system's free space (writer only); nil
	// without a directory.
	space *space
	// watch tells the writer that Dir was removed.
	watch *dirWatch

	// ops is held shared by every use of the tier's Badger or segments,
	// and exclusively by closeAll, which sets shut.
	ops       sync.RWMutex
	shut      bool
	closeOnce sync.Once
	closed    chan struct{} // closed when closeAll is done
	closeErr  error
}

// absentDisk returns the stand-in for a dropped disk tier: empty, never
// written, holding nothing.
func absentDisk() *diskTier {
	d := &diskTier{policy: s3fifo.New(0),
		segs: &segments{files: map[uint32]*segment{}, live: map[uint32]int64{}, locs: &locTable{}, nextID: 1}}
	d.quiet, d.closed, d.watch = new(atomic.Bool), make(chan struct{}), &dirWatch{}
	d.halted.Store(true)
	return d
}

// enter takes d for one operation on its Badger or segments; false once d
// is closing. Pair with leave.
func (d *diskTier) enter() bool {
	d.ops.RLock()
	if d.shut {
		d.ops.RUnlock()
		return false
	}
	return true
}

func (d *diskTier) leave() { d.ops.RUnlock() }

// writable reports whether d takes disk writes.
func (d *diskTier) writable() bool { return !d.halted.Load() }

// canWrite reports whether d takes disk writes and its directory is still
// there; finding it removed halts d (see dirWatch).
func (d *diskTier) canWrite() bool {
	if !d.writable() {
		return false
	}
	if d.watch.gone() {
		d.fail(FaultDirGone, errors.New("cachestore: directory removed"))
		return false
	}
	return true
}

// halt stops d's disk writes.
func (d *diskTier) halt() { d.halted.Store(true) }

// resume lets d write again, measuring the free space afresh.
func (d *diskTier) resume() {
	d.reported.Store(0)
	if d.space != nil {
		d.space.left.Store(0)
	}
	d.halted.Store(false)
}

// fail halts d after the writer met fault, and tells onFault (in its own
// goroutine: the writer must not wait for the store) the first time.
func (d *diskTier) fail(fault DiskFault, err error) {
	d.halt()
	bit := uint32(1) << faultIndex(fault)
	if d.reported.Or(bit)&bit != 0 || d.onFault == nil {
		return
	}
	go d.onFault(d, fault, err)
}

func faultIndex(f DiskFault) int {
	for i, g := range Faults {
		if g == f {
			return i
		}
	}
	return len(Faults)
}

// closeAll closes d once its current operations are done: the writer,
// Badger and the segments. Callers halt d first, so nothing new is
// queued. Later and concurrent calls wait for the first.
func (d *diskTier) closeAll() error {
	d.closeOnce.Do(func() {
		d.ops.Lock()
		d.shut = true
		d.ops.Unlock()
		d.stopWriter()
		d.inflight.Wait()
		if d.db != nil {
			d.closeErr = errors.Join(d.db.Close(), d.segs.close(), d.watch.close())
		}
		close(d.closed)
	})
	<-d.closed
	return d.closeErr
}
