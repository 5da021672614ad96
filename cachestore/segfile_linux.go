package cachestore

import (
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"
)

// iovMax is Linux's limit on the buffers of one pwritev.
const iovMax = 1024

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
			return append([][]byte{bufs[0][n:]}, bufs[1:]...)
		}
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	return bufs
}
