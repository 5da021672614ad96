package cachestore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// segFile stores the bytes of one segment: a file, or memory when the
// store has no directory. ReadAt is safe for concurrent use with one
// writer; after Close, ReadAt fails with an error wrapping os.ErrClosed.
type segFile interface {
	io.ReaderAt
	// writeAt writes bufs back to back from off, which is the end of what
	// was written so far.
	writeAt(bufs [][]byte, off int64) error
	Close() error
}

// iovMax is Linux's limit on the buffers of one pwritev.
const iovMax = 1024

// diskSeg is a segment file, written with pwritev: no mmap, no fsync.
type diskSeg struct{ f *os.File }

func (d diskSeg) ReadAt(p []byte, off int64) (int, error) { return d.f.ReadAt(p, off) }
func (d diskSeg) Close() error                            { return d.f.Close() }

// writeAt writes bufs with as few pwritev calls as the kernel allows.
func (d diskSeg) writeAt(bufs [][]byte, off int64) error {
	rc, err := d.f.SyscallConn()
	if err != nil {
		return err
	}
	for len(bufs) > 0 {
		var n int
		var werr error
		chunk := bufs[:min(len(bufs), iovMax)]
		if err := rc.Write(func(fd uintptr) bool {
			n, werr = unix.Pwritev(int(fd), chunk, off)
			return true
		}); err != nil {
			return err
		}
		if errors.Is(werr, unix.EINTR) {
			continue
		}
		if werr != nil {
			return fmt.Errorf("cachestore: write %s: %w", d.f.Name(), werr)
		}
		if n == 0 {
			return fmt.Errorf("cachestore: write %s: %w", d.f.Name(), io.ErrShortWrite)
		}
		off += int64(n)
		bufs = advance(bufs, n)
	}
	return nil
}

// advance drops the first n bytes of bufs. It does not modify the buffers
// themselves, only the slice headers it returns.
func advance(bufs [][]byte, n int) [][]byte {
	for n > 0 && len(bufs) > 0 {
		if n < len(bufs[0]) {
			rest := append([][]byte{bufs[0][n:]}, bufs[1:]...)
			return rest
		}
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	return bufs
}

// memSeg is a segment held in memory (Config.Dir == "").
type memSeg struct {
	mu     sync.RWMutex
	b      []byte
	closed bool
}

func (m *memSeg) ReadAt(p []byte, off int64) (int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return 0, os.ErrClosed
	}
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *memSeg) writeAt(bufs [][]byte, off int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return os.ErrClosed
	}
	if off != int64(len(m.b)) {
		return fmt.Errorf("cachestore: memory segment written at %d, its end is %d", off, len(m.b))
	}
	for _, b := range bufs {
		m.b = append(m.b, b...)
	}
	return nil
}

func (m *memSeg) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed, m.b = true, nil
	return nil
}
