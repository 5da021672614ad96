package cachestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"time"
)

// ErrCorrupt means stored bytes failed their checksum or did not parse.
var ErrCorrupt = errors.New("cachestore: corrupt record")

const (
	// codecVersion is the layout of a record without Entry.Meta, and
	// codecVersionMeta of one with a Meta (never empty, so each entry has
	// one encoding).
	codecVersion     = 1
	codecVersionMeta = 2
	// fixedLen is version(1) + crc32c(4) + stamp(8) + 4 times(32) + version(8).
	fixedLen = 1 + 4 + 8 + 32 + 8
	// maxStrings bounds the tag count a record may claim, so bad input
	// cannot make decode allocate without limit.
	maxStrings = 1 << 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// record is what is stored for one key: the entry, the full key (the disk
// key is only its hash) and the generation stamp it was written with.
type record struct {
	key   []byte
	stamp uint64
	entry Entry
}

// encode lays out r as: version, CRC-32C of everything after it, stamp,
// times, image version, then length-prefixed key, content type, ETag,
// tenant, public id, tag count and tags, the meta if there is one, and
// the body to the end. The returned slice is newly allocated.
func encode(r record) []byte { return encodeAfter(0, r) }

// encodeAfter is encode with skip zero bytes reserved in front of the
// record (for a frame header): the record is the returned slice's b[skip:].
func encodeAfter(skip int, r record) []byte {
	e := &r.entry
	strs := [][]byte{r.key, []byte(e.ContentType), []byte(e.ETag),
		[]byte(e.Image.Tenant), []byte(e.Image.PublicID)}
	n := skip + fixedLen + binary.MaxVarintLen64*(len(strs)+2+len(e.Image.Tags)) + len(e.Meta) + len(e.Body)
	for _, s := range strs {
		n += len(s)
	}
	for _, t := range e.Image.Tags {
		n += len(t)
	}
	b := make([]byte, skip+5, n)
	b[skip] = codecVersion
	if len(e.Meta) > 0 {
		b[skip] = codecVersionMeta
	}
	b = binary.BigEndian.AppendUint64(b, r.stamp)
	for _, t := range []time.Time{e.Created, e.LastModified, e.FreshUntil, e.StaleUntil} {
		b = binary.BigEndian.AppendUint64(b, uint64(encodeTime(t)))
	}
	b = binary.BigEndian.AppendUint64(b, uint64(e.Image.Version))
	for _, s := range strs {
		b = appendBytes(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Image.Tags)))
	for _, t := range e.Image.Tags {
		b = appendBytes(b, []byte(t))
	}
	if len(e.Meta) > 0 {
		b = appendBytes(b, e.Meta)
	}
	b = append(b, e.Body...)
	binary.BigEndian.PutUint32(b[skip+1:skip+5], crc32.Checksum(b[skip+5:], castagnoli))
	return b
}

// decode parses and verifies b. The returned record's key, meta and body
// alias b; its strings are copies. Any damage yields an error wrapping
// ErrCorrupt.
func decode(b []byte) (record, error) {
	var r record
	if len(b) < fixedLen || (b[0] != codecVersion && b[0] != codecVersionMeta) {
		return r, fmt.Errorf("%w: short record or unknown version", ErrCorrupt)
	}
	if crc32.Checksum(b[5:], castagnoli) != binary.BigEndian.Uint32(b[1:5]) {
		return r, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	d := decoder{b: b[5:]}
	r.stamp = d.uint64()
	e := &r.entry
	for _, t := range []*time.Time{&e.Created, &e.LastModified, &e.FreshUntil, &e.StaleUntil} {
		*t = decodeTime(int64(d.uint64()))
	}
	e.Image.Version = int64(d.uint64())
	r.key = d.bytes()
	e.ContentType, e.ETag = string(d.bytes()), string(d.bytes())
	e.Image.Tenant, e.Image.PublicID = string(d.bytes()), string(d.bytes())
	if n := d.uvarint(); n > 0 && n <= maxStrings {
		e.Image.Tags = make([]string, 0, min(n, uint64(len(d.b))))
		for i := uint64(0); i < n && d.err == nil; i++ {
			e.Image.Tags = append(e.Image.Tags, string(d.bytes()))
		}
	} else if n > maxStrings {
		d.err = errors.New("too many tags")
	}
	if b[0] == codecVersionMeta {
		if e.Meta = d.bytes(); len(e.Meta) == 0 {
			d.fail("empty meta")
		}
	}
	if d.err != nil {
		return record{}, fmt.Errorf("%w: %v", ErrCorrupt, d.err)
	}
	e.Body = d.b
	return r, nil
}

// decoder reads fields from b, remembering the first error; after an
// error every read returns a zero value.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uint64() uint64 {
	if d.err != nil || len(d.b) < 8 {
		d.fail("truncated")
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad length")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail("length past end")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = errors.New(msg)
	}
}

func appendBytes(b, s []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// encodeTime maps t to Unix nanoseconds, with math.MinInt64 for the zero
// time (whose UnixNano is undefined).
func encodeTime(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return t.UnixNano()
}

func decodeTime(n int64) time.Time {
	if n == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
