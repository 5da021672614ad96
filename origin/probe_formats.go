package origin

import "encoding/binary"

// jpegSize walks the JPEG markers to the first start-of-frame.
func jpegSize(b []byte) (w, h int, ok bool) {
	off := 2
	for off+4 <= len(b) {
		if b[off] != 0xff {
			return 0, 0, false
		}
		marker := b[off+1]
		if marker == 0xff { // fill byte
			off++
			continue
		}
		if marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7) {
			off += 2
			continue
		}
		length := int(binary.BigEndian.Uint16(b[off+2:]))
		if length < 2 || marker == 0xda || marker == 0xd9 {
			return 0, 0, false // scan or end before a frame header
		}
		if isSOF(marker) {
			if off+9 > len(b) {
				return 0, 0, false
			}
			return int(binary.BigEndian.Uint16(b[off+7:])), int(binary.BigEndian.Uint16(b[off+5:])), true
		}
		off += 2 + length
	}
	return 0, 0, false
}

func isSOF(m byte) bool {
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc
}

// webpSize reads the VP8, VP8L or VP8X chunk header.
func webpSize(b []byte) (w, h int, ok bool) {
	if len(b) < 30 {
		return 0, 0, false
	}
	switch string(b[12:16]) {
	case "VP8 ":
		if b[23] != 0x9d || b[24] != 0x01 || b[25] != 0x2a {
			return 0, 0, false
		}
		return int(binary.LittleEndian.Uint16(b[26:]) & 0x3fff), int(binary.LittleEndian.Uint16(b[28:]) & 0x3fff), true
	case "VP8L":
		if b[20] != 0x2f {
			return 0, 0, false
		}
		v := binary.LittleEndian.Uint32(b[21:])
		return int(v&0x3fff) + 1, int(v>>14&0x3fff) + 1, true
	case "VP8X":
		return int(le24(b[24:])) + 1, int(le24(b[27:])) + 1, true
	}
	return 0, 0, false
}

func le24(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 }

// heifSize finds the largest ispe (image spatial extent) property inside
// meta/iprp/ipco: the primary image's size in practice.
func heifSize(b []byte) (w, h int, ok bool) {
	meta, found := findBox(b, "meta")
	if !found || len(meta) < 4 {
		return 0, 0, false
	}
	iprp, found := findBox(meta[4:], "iprp") // meta is a full box
	if !found {
		return 0, 0, false
	}
	ipco, found := findBox(iprp, "ipco")
	if !found {
		return 0, 0, false
	}
	for rest := ipco; ; {
		typ, body, next, more := nextBox(rest)
		if !more {
			break
		}
		if typ == "ispe" && len(body) >= 12 {
			bw, bh := int(binary.BigEndian.Uint32(body[4:])), int(binary.BigEndian.Uint32(body[8:]))
			if bw*bh > w*h {
				w, h, ok = bw, bh, true
			}
		}
		rest = next
	}
	return w, h, ok
}

func findBox(b []byte, want string) ([]byte, bool) {
	for {
		typ, body, next, more := nextBox(b)
		if !more {
			return nil, false
		}
		if typ == want {
			return body, true
		}
		b = next
	}
}

// nextBox splits the first ISO-BMFF box off b.
func nextBox(b []byte) (typ string, body, rest []byte, ok bool) {
	if len(b) < 8 {
		return "", nil, nil, false
	}
	size, hdr := uint64(binary.BigEndian.Uint32(b)), uint64(8)
	if size == 1 {
		if len(b) < 16 {
			return "", nil, nil, false
		}
		size, hdr = binary.BigEndian.Uint64(b[8:]), 16
	} else if size == 0 {
		size = uint64(len(b))
	}
	if size < hdr || size > uint64(len(b)) {
		return "", nil, nil, false
	}
	return string(b[4:8]), b[hdr:size], b[size:], true
}
