package uploads

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// checksumAlgorithms are announced in Tus-Checksum-Algorithm, in order.
var checksumAlgorithms = map[string]func() hash.Hash{
	"sha1":   sha1.New,
	"sha256": sha256.New,
	"sha512": sha512.New,
	"md5":    md5.New,
}

const checksumAlgorithmList = "sha1,sha256,sha512,md5"

// Errors parsing an Upload-Checksum header (→ 400).
var (
	ErrChecksumAlgorithm = errors.New("uploads: unsupported checksum algorithm")
	ErrChecksumSyntax    = errors.New("uploads: malformed Upload-Checksum header")
)

// checksum is an expected digest of one request body.
type checksum struct {
	algorithm string
	want      []byte
	hash      hash.Hash
}

// parseChecksum parses an Upload-Checksum header value: an algorithm name,
// one space and the base64 digest. The empty header yields nil, nil.
func parseChecksum(header string) (*checksum, error) {
	if header == "" {
		return nil, nil
	}
	name, encoded, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok {
		return nil, ErrChecksumSyntax
	}
	newHash, known := checksumAlgorithms[strings.ToLower(name)]
	if !known {
		return nil, fmt.Errorf("%w: %q (supported: %s)", ErrChecksumAlgorithm, name, checksumAlgorithmList)
	}
	want, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	h := newHash()
	if err != nil || len(want) != h.Size() {
		return nil, fmt.Errorf("%w: digest is not base64 of %d bytes", ErrChecksumSyntax, h.Size())
	}
	return &checksum{algorithm: strings.ToLower(name), want: want, hash: h}, nil
}

// Write feeds body bytes to the digest; it never fails.
func (c *checksum) Write(p []byte) (int, error) { return c.hash.Write(p) }

// matches reports whether everything written so far has the expected digest.
func (c *checksum) matches() bool { return bytes.Equal(c.hash.Sum(nil), c.want) }
