package eventfeed

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FileSeq is a Store in a small text file, replaced atomically.
type FileSeq struct{ Path string }

// Load returns the stored sequence, 0 if the file does not exist.
func (f FileSeq) Load() (int64, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	seq, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("feed position %s: %w", f.Path, err)
	}
	return seq, nil
}

// Save writes seq durably (write, fsync, rename, fsync of the directory,
// so that the rename survives a power loss too).
func (f FileSeq) Save(seq int64) error {
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".seq-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(strconv.FormatInt(seq, 10) + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(f.Path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}
