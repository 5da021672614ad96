package origin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// spool is an upload copied to a temporary file while it is hashed and
// capped. It is owned by one goroutine; Close removes the file.
type spool struct {
	file *os.File
	size int64
	sha  string // hex SHA-256
	data []byte // the file mapped read-only (nil when empty)
}

// sniffLen is how much of the head is read before the rest, so an
// unsupported type is refused before its body is stored.
const sniffLen = 64

// newSpool copies r into a temporary file in dir, failing with
// ErrUnsupportedType as soon as the head is not an image type that sniff
// accepts and with ErrTooLarge as soon as more than max bytes arrive.
func newSpool(dir string, r io.Reader, max int64, sniff func([]byte) bool) (*spool, error) {
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("origin: read upload: %w", err)
	}
	if !sniff(head[:n]) {
		return nil, ErrUnsupportedType
	}
	f, err := os.CreateTemp(dir, "pixcdn-upload-*")
	if err != nil {
		return nil, fmt.Errorf("origin: spool: %w", err)
	}
	sp := &spool{file: f}
	if err := sp.fill(io.MultiReader(bytes.NewReader(head[:n]), r), max); err != nil {
		sp.Close()
		return nil, err
	}
	return sp, nil
}

func (sp *spool) fill(r io.Reader, max int64) error {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(sp.file, h), io.LimitReader(r, max+1))
	if err != nil {
		return fmt.Errorf("origin: read upload: %w", err)
	}
	if n > max {
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	sp.size, sp.sha = n, hex.EncodeToString(h.Sum(nil))
	if n == 0 {
		return nil
	}
	data, err := syscall.Mmap(int(sp.file.Fd()), 0, int(n), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("origin: map spool: %w", err)
	}
	sp.data = data
	return nil
}

// Bytes returns the spooled bytes; valid until Close.
func (sp *spool) Bytes() []byte { return sp.data }

// Reader returns a fresh reader over the spooled bytes.
func (sp *spool) Reader() io.Reader { return bytes.NewReader(sp.data) }

// Close unmaps and removes the file. Idempotent.
func (sp *spool) Close() {
	if sp.data != nil {
		_ = syscall.Munmap(sp.data)
		sp.data = nil
	}
	if sp.file != nil {
		sp.file.Close()
		os.Remove(sp.file.Name())
		sp.file = nil
	}
}
