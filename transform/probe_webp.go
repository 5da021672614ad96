package transform

import "encoding/binary"

// probeWebP reads the first chunk (VP8, VP8L or VP8X) and, for animations,
// counts the ANMF chunks.
func probeWebP(src []byte) (Meta, error) {
	r := &reader{b: src, off: 12, be: binary.LittleEndian}
	m := Meta{Format: WebP, Frames: 1}
	fourcc := string(r.take(4))
	n := int(r.u32())
	body := r.take(min(n, r.left()))
	if r.bad {
		return Meta{}, errTruncated
	}
	b := &reader{b: body, be: binary.LittleEndian}
	switch fourcc {
	case "VP8 ":
		b.skip(3)
		if string(b.take(3)) != "\x9d\x01\x2a" {
			return Meta{}, errTruncated
		}
		m.Width, m.Height = int(b.u16()&0x3fff), int(b.u16()&0x3fff)
	case "VP8L":
		if b.u8() != 0x2f {
			return Meta{}, errTruncated
		}
		v := b.u32()
		m.Width, m.Height = int(v&0x3fff)+1, int(v>>14&0x3fff)+1
		m.HasAlpha = v>>28&1 == 1
	case "VP8X":
		flags := b.u8()
		b.skip(3)
		m.Width, m.Height = int(u24(b.take(3)))+1, int(u24(b.take(3)))+1
		m.HasAlpha = flags&0x10 != 0
		if flags&0x02 != 0 {
			m.Frames = countChunks(r, n, "ANMF")
		}
	default:
		return Meta{}, errTruncated
	}
	if b.bad {
		return Meta{}, errTruncated
	}
	return m, nil
}

func u24(p []byte) uint32 { return uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16 }

// countChunks counts RIFF chunks of type fourcc after the first one, whose
// payload length was first; chunks are padded to even sizes.
func countChunks(r *reader, first int, fourcc string) int {
	r.off = 12 + 8 + first + first&1
	count := 0
	for r.left() >= 8 {
		typ := string(r.take(4))
		n := int(r.u32())
		if typ == fourcc {
			count++
		}
		r.skip(n + n&1)
	}
	return count
}
