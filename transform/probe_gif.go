package transform

import "encoding/binary"

// probeGIF reads the logical screen and walks the blocks, counting image
// descriptors (frames) and noting transparency, without decoding LZW data.
// A truncated stream keeps the frames seen so far; none is ErrCorrupt.
func probeGIF(src []byte) (Meta, error) {
	r := &reader{b: src, off: 6, be: binary.LittleEndian}
	m := Meta{Format: GIF}
	m.Width, m.Height = int(r.u16()), int(r.u16())
	flags := r.u8()
	r.skip(2) // background index, aspect
	skipColourTable(r, flags)
	for !r.bad && r.left() > 0 {
		switch r.u8() {
		case 0x21: // extension
			if r.u8() == 0xf9 && r.left() >= 2 && r.b[r.off] == 4 {
				m.HasAlpha = m.HasAlpha || r.b[r.off+1]&1 == 1
			}
			skipSubBlocks(r)
		case 0x2c: // image descriptor
			skipFrame(r, &m)
			m.Frames++
		case 0x3b: // trailer
			return m, nil
		default:
			return finishGIF(m)
		}
	}
	return finishGIF(m)
}

func finishGIF(m Meta) (Meta, error) {
	if m.Frames == 0 {
		return Meta{}, errTruncated
	}
	return m, nil
}

func skipColourTable(r *reader, flags uint8) {
	if flags&0x80 != 0 {
		r.skip(3 << (flags&7 + 1))
	}
}

// skipFrame skips one image; a frame reaching past the logical screen grows
// the reported size, so pixel limits see what a decoder may allocate.
func skipFrame(r *reader, m *Meta) {
	left, top := int(r.u16()), int(r.u16())
	w, h := int(r.u16()), int(r.u16())
	if !r.bad {
		m.Width, m.Height = max(m.Width, left+w), max(m.Height, top+h)
	}
	skipColourTable(r, r.u8())
	r.skip(1) // LZW minimum code size
	skipSubBlocks(r)
}

func skipSubBlocks(r *reader) {
	for !r.bad {
		n := int(r.u8())
		if n == 0 {
			return
		}
		r.skip(n)
	}
}
