package edge

import (
	"encoding/binary"
	"time"
	"unsafe"
)

// An Entry's meta is what a Cache keeps for the edge besides the fields it
// models itself (body, content type, ETag, times, image reference): the
// caching policy, the origin ETag and the image's visibility, as opaque
// bytes. The layout: magic, flags, then uvarints max-age, swr, sie
// (seconds) and the origin ETag's length, then the ETag.
const (
	metaMagic   = 0xE1
	flagPrivate = 1 << 0
	flagSigned  = 1 << 1
	maxMetaLen  = 2 + 4*binary.MaxVarintLen64
	// maxPolicySeconds bounds a decoded duration so it cannot overflow.
	maxPolicySeconds = 1 << 31
)

// EncodeMeta returns e's meta, newly allocated, for a Cache to store with
// the entry.
func EncodeMeta(e *Entry) []byte {
	b := make([]byte, 0, maxMetaLen+len(e.OriginETag))
	var flags byte
	if e.Policy.Private {
		flags |= flagPrivate
	}
	if e.Image.Signed {
		flags |= flagSigned
	}
	b = append(b, metaMagic, flags)
	b = binary.AppendUvarint(b, uint64(e.Policy.MaxAge/time.Second))
	b = binary.AppendUvarint(b, uint64(e.Policy.SWR/time.Second))
	b = binary.AppendUvarint(b, uint64(e.Policy.SIE/time.Second))
	b = binary.AppendUvarint(b, uint64(len(e.OriginETag)))
	return append(b, e.OriginETag...)
}

// DecodeMeta sets e's policy, origin ETag, visibility and body from meta,
// as EncodeMeta wrote it, and body. An entry stored before caches kept
// meta has none (nil) and carries it in front of its body instead. It
// reports false for bytes EncodeMeta did not write. e.Body and
// e.OriginETag alias body and meta, which the cache never modifies.
func DecodeMeta(meta, body []byte, e *Entry) bool {
	legacy := len(meta) == 0
	if legacy {
		meta = body
	}
	rest, ok := decodeMeta(meta, e)
	switch {
	case !ok:
		return false
	case legacy:
		e.Body = rest
	case len(rest) > 0:
		return false
	default:
		e.Body = body
	}
	return true
}

// decodeMeta decodes the meta at the start of b into e and returns what
// follows it.
func decodeMeta(b []byte, e *Entry) ([]byte, bool) {
	if len(b) < 2 || b[0] != metaMagic {
		return nil, false
	}
	flags := b[1]
	b = b[2:]
	var v [4]uint64
	for i := range v {
		n, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, false
		}
		v[i], b = n, b[k:]
	}
	if v[3] > uint64(len(b)) || v[0] > maxPolicySeconds || v[1] > maxPolicySeconds || v[2] > maxPolicySeconds {
		return nil, false
	}
	e.Policy = Policy{
		MaxAge: time.Duration(v[0]) * time.Second, SWR: time.Duration(v[1]) * time.Second,
		SIE: time.Duration(v[2]) * time.Second, Private: flags&flagPrivate != 0,
	}
	e.Image.Signed = flags&flagSigned != 0
	e.OriginETag = ""
	if v[3] > 0 {
		e.OriginETag = unsafe.String(&b[0], int(v[3]))
	}
	return b[v[3]:], true
}
