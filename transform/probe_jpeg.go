package transform

import (
	"bytes"
	"encoding/binary"
)

// probeJPEG walks the marker segments up to the first SOFn, reading the EXIF
// orientation from APP1 on the way.
func probeJPEG(src []byte) (Meta, error) {
	r := &reader{b: src, off: 2, be: binary.BigEndian}
	m := Meta{Format: JPEG, Frames: 1}
	for !r.bad {
		if r.u8() != 0xff {
			return Meta{}, errTruncated
		}
		marker := r.u8()
		for marker == 0xff { // fill bytes
			marker = r.u8()
		}
		if marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7) {
			continue // no length
		}
		if marker == 0xd9 || marker == 0xda { // EOI or SOS before any SOF
			return Meta{}, errTruncated
		}
		n := int(r.u16()) - 2
		seg := r.take(n)
		if r.bad || n < 0 {
			return Meta{}, errTruncated
		}
		if isSOF(marker) {
			return jpegFrame(m, seg)
		}
		if marker == 0xe1 && m.Orientation == 0 {
			m.Orientation = exifOrientation(seg)
		}
	}
	return Meta{}, errTruncated
}

func isSOF(m byte) bool {
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc
}

func jpegFrame(m Meta, seg []byte) (Meta, error) {
	r := &reader{b: seg, be: binary.BigEndian}
	r.skip(1) // precision
	m.Height = int(r.u16())
	m.Width = int(r.u16())
	if r.bad {
		return Meta{}, errTruncated
	}
	return m, nil
}

// exifOrientation returns the orientation tag (2..8) of an APP1 Exif
// segment, 0 if absent, 1 or malformed.
func exifOrientation(seg []byte) int {
	tiff, ok := bytes.CutPrefix(seg, []byte("Exif\x00\x00"))
	if !ok || len(tiff) < 8 {
		return 0
	}
	r := &reader{b: tiff}
	switch string(tiff[:4]) {
	case "II*\x00":
		r.be = binary.LittleEndian
	case "MM\x00*":
		r.be = binary.BigEndian
	default:
		return 0
	}
	r.off = 4
	r.off = int(r.u32())
	if r.off < 8 || r.off >= len(tiff) {
		return 0
	}
	for n := int(r.u16()); n > 0 && !r.bad; n-- {
		tag, typ := r.u16(), r.u16()
		r.skip(4) // count
		val := r.u16()
		r.skip(2)
		if tag == 0x0112 && typ == 3 && !r.bad && val >= 2 && val <= 8 {
			return int(val)
		}
	}
	return 0
}
