package cachestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// A segment is a sequence of frames. A frame is a 16-byte header — the
// length of the whole frame (uint32), the 64-bit hash of the entry's key
// and the CRC-32C of those 12 bytes — followed by the encoded record
// (encode), which carries its own CRC-32C. The header lets compaction walk
// a segment without Badger; the record's checksum is what makes a read
// trustworthy. Integers are big-endian.
const frameHeaderLen = 16

// maxFrameLen bounds a frame; a bigger entry is ErrTooLarge.
const maxFrameLen = math.MaxUint32

// errBadFrame means a frame header failed its checks: damaged bytes, or
// bytes that were never written (a hole or a tail lost to a power cut).
var errBadFrame = errors.New("cachestore: bad frame header")

// encodeFrame encodes r into a newly allocated frame for key hash h.
func encodeFrame(h uint64, r record) []byte {
	return sealFrame(h, encodeAfter(frameHeaderLen, r))
}

// sealFrame fills in the header of frame, whose first frameHeaderLen bytes
// are reserved for it, and returns frame.
func sealFrame(h uint64, frame []byte) []byte {
	binary.BigEndian.PutUint32(frame[0:4], uint32(len(frame)))
	binary.BigEndian.PutUint64(frame[4:12], h)
	binary.BigEndian.PutUint32(frame[12:16], crc32.Checksum(frame[:12], castagnoli))
	return frame
}

// parseFrameHeader returns the frame length and key hash in hdr (at least
// frameHeaderLen bytes), or errBadFrame.
func parseFrameHeader(hdr []byte) (n int64, h uint64, err error) {
	if len(hdr) < frameHeaderLen {
		return 0, 0, fmt.Errorf("%w: short", errBadFrame)
	}
	if crc32.Checksum(hdr[:12], castagnoli) != binary.BigEndian.Uint32(hdr[12:16]) {
		return 0, 0, fmt.Errorf("%w: checksum mismatch", errBadFrame)
	}
	n = int64(binary.BigEndian.Uint32(hdr[0:4]))
	if n < frameHeaderLen+fixedLen {
		return 0, 0, fmt.Errorf("%w: length %d", errBadFrame, n)
	}
	return n, binary.BigEndian.Uint64(hdr[4:12]), nil
}

// decodeFrame verifies that frame is the whole frame of h that p points
// at and decodes its record, which aliases frame. A damaged header wraps
// errBadFrame, a damaged record ErrCorrupt.
func decodeFrame(frame []byte, h uint64) (record, error) {
	n, fh, err := parseFrameHeader(frame)
	if err != nil {
		return record{}, err
	}
	if n != int64(len(frame)) || fh != h {
		return record{}, fmt.Errorf("%w: frame of another entry", errBadFrame)
	}
	return decode(frame[frameHeaderLen:])
}

// allZero reports whether b holds only zero bytes: a frame read from a
// hole, which a lost write leaves, rather than from damaged data.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// pointer locates a frame: segment id, offset and length in bytes.
type pointer struct {
	seg uint32
	off int64
	n   int64
}

// The Badger record of an entry (prefixRecord) is its pointer followed by
// its index record: version(1), segment(4), offset(8), length(4), index.
const (
	pointerVersion = 2
	pointerLen     = 1 + 4 + 8 + 4
)

// encodePointer returns p followed by idx, newly allocated.
func encodePointer(p pointer, idx []byte) []byte {
	b := make([]byte, 0, pointerLen+len(idx))
	b = append(b, pointerVersion)
	b = binary.BigEndian.AppendUint32(b, p.seg)
	b = binary.BigEndian.AppendUint64(b, uint64(p.off))
	b = binary.BigEndian.AppendUint32(b, uint32(p.n))
	return append(b, idx...)
}

// decodePointer splits a Badger record into its pointer and index record
// (which aliases v).
func decodePointer(v []byte) (p pointer, idx []byte, err error) {
	if len(v) < pointerLen || v[0] != pointerVersion {
		return p, nil, fmt.Errorf("%w: bad pointer", ErrCorrupt)
	}
	p.seg = binary.BigEndian.Uint32(v[1:5])
	p.off = int64(binary.BigEndian.Uint64(v[5:13]))
	p.n = int64(binary.BigEndian.Uint32(v[13:17]))
	if p.off < 0 || p.n < frameHeaderLen {
		return p, nil, fmt.Errorf("%w: bad pointer", ErrCorrupt)
	}
	return p, v[pointerLen:], nil
}
