package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrMeta is wrapped by errors decoding node metadata.
var ErrMeta = errors.New("cluster: bad node metadata")

const (
	metaFormat  = 1
	metaLeaving = 1 << 0 // flag: the node is leaving gracefully; exclude it
	// metaMaxLen is the largest encoding: format, flags, fingerprint,
	// ring version, length byte, 255 address bytes. Well under memberlist's
	// 512-byte limit.
	metaMaxLen = 1 + 1 + 8 + 8 + 1 + 255
)

// nodeMeta is what a node advertises in memberlist metadata.
type nodeMeta struct {
	Fingerprint  uint64 // ringParams.fingerprint(): placement must match
	RingVersion  uint64 // the ring version this node currently uses
	InternalAddr string // internal HTTP host:port
	Leaving      bool   // graceful leave in progress
}

// encode returns the wire form. InternalAddr must be at most 255 bytes
// (Config.Validate enforces it).
func (m nodeMeta) encode() []byte {
	b := make([]byte, 0, metaMaxLen)
	var flags byte
	if m.Leaving {
		flags |= metaLeaving
	}
	b = append(b, metaFormat, flags)
	b = binary.BigEndian.AppendUint64(b, m.Fingerprint)
	b = binary.BigEndian.AppendUint64(b, m.RingVersion)
	b = append(b, byte(len(m.InternalAddr)))
	return append(b, m.InternalAddr...)
}

// decodeMeta parses metadata; any malformed input returns an error wrapping
// ErrMeta. It never retains b.
func decodeMeta(b []byte) (nodeMeta, error) {
	const fixed = 1 + 1 + 8 + 8 + 1
	if len(b) < fixed {
		return nodeMeta{}, fmt.Errorf("%w: %d bytes", ErrMeta, len(b))
	}
	if b[0] != metaFormat {
		return nodeMeta{}, fmt.Errorf("%w: format %d", ErrMeta, b[0])
	}
	if b[1]&^metaLeaving != 0 {
		return nodeMeta{}, fmt.Errorf("%w: unknown flags %#x", ErrMeta, b[1])
	}
	n := int(b[fixed-1])
	if len(b) != fixed+n {
		return nodeMeta{}, fmt.Errorf("%w: address length %d, %d bytes left", ErrMeta, n, len(b)-fixed)
	}
	return nodeMeta{
		Fingerprint:  binary.BigEndian.Uint64(b[2:]),
		RingVersion:  binary.BigEndian.Uint64(b[10:]),
		InternalAddr: string(b[fixed:]),
		Leaving:      b[1]&metaLeaving != 0,
	}, nil
}
