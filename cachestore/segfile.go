package cachestore

import (
	"fmt"
	"io"
	"os"
	"sync"
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

// diskSeg is a segment file, written with pwritev where the platform has
// it (segfile_linux.go), else one WriteAt per buffer: no mmap, no fsync.
type diskSeg struct{ f *os.File }

func (d diskSeg) ReadAt(p []byte, off int64) (int, error) { return d.f.ReadAt(p, off) }
func (d diskSeg) Close() error                            { return d.f.Close() }

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
