package cachestore

import (
	"errors"
	"os"
	"path/filepath"
)

// dirWatch holds Dir and Dir/segments open so that the writer can tell,
// with an fstat each before every batch, that either was removed. It
// must find out before Badger does: a Badger that could not create a
// memtable file in a removed directory ends the process on its next
// write (badger v4.9.6, DB.ensureRoomForWrite asserts a memtable). The
// health check (health.go) finds the rest: a directory replaced, or only
// emptied.
type dirWatch struct{ dirs []*os.File }

// openDirWatch opens the watch on dir ("" watches nothing).
func openDirWatch(dir string) (*dirWatch, error) {
	w := &dirWatch{}
	if dir == "" {
		return w, nil
	}
	for _, p := range []string{dir, filepath.Join(dir, segDirName)} {
		f, err := os.Open(p)
		if err != nil {
			w.close()
			return nil, err
		}
		w.dirs = append(w.dirs, f)
	}
	return w, nil
}

// gone reports whether a watched directory was removed.
func (w *dirWatch) gone() bool {
	for _, f := range w.dirs {
		if removed(f) {
			return true
		}
	}
	return false
}

func (w *dirWatch) close() error {
	var err error
	for _, f := range w.dirs {
		err = errors.Join(err, f.Close())
	}
	w.dirs = nil
	return err
}
