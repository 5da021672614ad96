package transform

import "encoding/binary"

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// probePNG reads IHDR and scans the chunks before IDAT for tRNS.
func probePNG(src []byte) (Meta, error) {
	r := &reader{b: src, off: len(pngSignature), be: binary.BigEndian}
	if r.u32() != 13 || string(r.take(4)) != "IHDR" {
		return Meta{}, errTruncated
	}
	m := Meta{Format: PNG, Frames: 1}
	m.Width, m.Height = int(r.u32()), int(r.u32())
	r.skip(1) // bit depth
	colourType := r.u8()
	r.skip(3 + 4) // compression, filter, interlace, CRC
	if r.bad || m.Width > 1<<31-1 || m.Height > 1<<31-1 {
		return Meta{}, errTruncated
	}
	m.HasAlpha = colourType == 4 || colourType == 6
	for !r.bad && r.left() >= 8 && !m.HasAlpha {
		n := int(r.u32())
		typ := string(r.take(4))
		if typ == "IDAT" || typ == "IEND" {
			break
		}
		m.HasAlpha = typ == "tRNS"
		r.skip(n + 4)
	}
	return m, nil
}
