//go:build !linux

package cachestore

// writeAt writes bufs one WriteAt at a time.
func (d diskSeg) writeAt(bufs [][]byte, off int64) error {
	for _, b := range bufs {
		if _, err := d.f.WriteAt(b, off); err != nil {
			return err
		}
		off += int64(len(b))
	}
	return nil
}
