package transform

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Probe reads the format, dimensions, alpha and frame count of src from its
// header and container structure only: no pixel is decoded, and the cost is
// linear in len(src) at worst (GIF frames are counted by skipping their
// data). Empty, truncated or inconsistent headers give ErrCorrupt; formats
// other than JPEG, PNG, GIF, WebP and AVIF/HEIF (SVG, TIFF, BMP, …) give
// ErrUnsupported. Safe for concurrent use; src is not retained.
func Probe(src []byte) (Meta, error) {
	if len(src) == 0 {
		return Meta{}, fmt.Errorf("%w: empty", ErrCorrupt)
	}
	var m Meta
	var err error
	switch f, _ := Sniff(src); f {
	case JPEG:
		m, err = probeJPEG(src)
	case PNG:
		m, err = probePNG(src)
	case GIF:
		m, err = probeGIF(src)
	case WebP:
		m, err = probeWebP(src)
	case AVIF, HEIF:
		m, err = probeHEIF(src)
	default:
		return Meta{}, ErrUnsupported
	}
	if err != nil {
		return Meta{}, err
	}
	if m.Width <= 0 || m.Height <= 0 || m.Frames <= 0 {
		return Meta{}, fmt.Errorf("%w: no dimensions", ErrCorrupt)
	}
	if m.Orientation >= 5 {
		m.Width, m.Height = m.Height, m.Width
	}
	m.Bytes = len(src)
	return m, nil
}

// Sniff names the image format of src from its first bytes alone: the magic
// bytes, and for ISO-BMFF files the brands of the leading ftyp box (as much
// of it as src holds). It is enough of a file's head (64 bytes) to refuse
// other types before reading the rest; Probe has the final word. ok is
// false for anything but JPEG, PNG, GIF, WebP, AVIF and HEIF. Safe for
// concurrent use.
func Sniff(src []byte) (f Format, ok bool) {
	switch {
	case bytes.HasPrefix(src, []byte{0xff, 0xd8, 0xff}):
		return JPEG, true
	case bytes.HasPrefix(src, pngSignature):
		return PNG, true
	case bytes.HasPrefix(src, []byte("GIF87a")), bytes.HasPrefix(src, []byte("GIF89a")):
		return GIF, true
	case len(src) >= 12 && string(src[:4]) == "RIFF" && string(src[8:12]) == "WEBP":
		return WebP, true
	case len(src) >= 12 && string(src[4:8]) == "ftyp":
		size := int(binary.BigEndian.Uint32(src))
		if size < 16 || size > len(src) {
			size = len(src)
		}
		return ftypFormat(src[8:size])
	}
	return FormatAuto, false
}

// errTruncated is returned for headers that end early.
var errTruncated = fmt.Errorf("%w: truncated header", ErrCorrupt)

// reader is a bounds-checked cursor over a byte slice: reads past the end
// return zeros and set bad, so parsers check once at the end of a section.
type reader struct {
	b   []byte
	off int
	bad bool
	be  binary.ByteOrder
}

// take returns the next n bytes, or zeros (at most 16, never the requested n,
// which may be a hostile length) when fewer remain.
func (r *reader) take(n int) []byte {
	if n < 0 || r.off > len(r.b)-n {
		r.bad = true
		r.off = len(r.b)
		return make([]byte, min(max(n, 0), 16)) // enough for the fixed-size reads

	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

func (r *reader) u8() uint8   { return r.take(1)[0] }
func (r *reader) u16() uint16 { return r.be.Uint16(r.take(2)) }
func (r *reader) u32() uint32 { return r.be.Uint32(r.take(4)) }
func (r *reader) skip(n int)  { r.take(n) }
func (r *reader) left() int   { return len(r.b) - r.off }
