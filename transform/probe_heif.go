package transform

import (
	"encoding/binary"
	"strings"
)

// probeHEIF reads an ISO-BMFF (AVIF/HEIF) file: brands from ftyp, then from
// meta the primary item (pitm) and its properties (iprp: ispe for the size,
// irot for rotation, auxC for an alpha plane).
func probeHEIF(src []byte) (Meta, error) {
	format, ok := heifBrand(src)
	if !ok {
		return Meta{}, ErrUnsupported
	}
	meta, ok := findBox(src, "meta")
	if !ok || len(meta) < 4 {
		return Meta{}, errTruncated
	}
	meta = meta[4:] // full box header
	h := heifItems{primary: -1}
	h.readPrimary(meta)
	iprp, _ := findBox(meta, "iprp")
	ipco, _ := findBox(iprp, "ipco")
	ipma, _ := findBox(iprp, "ipma")
	props := splitBoxes(ipco)
	m := Meta{Format: format, Frames: 1}
	rotated := false
	for _, i := range h.primaryProperties(ipma) {
		if i >= 1 && i <= len(props) {
			applyProperty(&m, &rotated, props[i-1])
		}
	}
	if rotated {
		m.Width, m.Height = m.Height, m.Width
	}
	for _, p := range props {
		if p.typ == "auxC" && isAlphaAux(p.body) {
			m.HasAlpha = true
		}
	}
	return m, nil
}

// heifBrand maps ftyp brands to AVIF or HEIF; ok is false for other ISO-BMFF
// files (MP4, …).
func heifBrand(src []byte) (Format, bool) {
	ftyp, ok := findBox(src, "ftyp")
	if !ok || len(ftyp) < 8 {
		return 0, false
	}
	return ftypFormat(ftyp)
}

// ftypFormat maps the brands in an ftyp box's body (major brand, minor
// version, compatible brands; possibly cut short) to AVIF or HEIF.
func ftypFormat(ftyp []byte) (Format, bool) {
	format, found := Format(0), false
	for i := 0; i+4 <= len(ftyp); i += 4 {
		if i == 4 {
			continue // the minor version
		}
		switch string(ftyp[i : i+4]) {
		case "avif", "avis":
			return AVIF, true
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1":
			format, found = HEIF, true
		}
	}
	return format, found
}

type box struct {
	typ  string
	body []byte
}

// splitBoxes splits b into consecutive boxes, stopping at the first
// malformed one.
func splitBoxes(b []byte) []box {
	var out []box
	for len(b) >= 8 {
		size := uint64(binary.BigEndian.Uint32(b))
		typ, hdr := string(b[4:8]), uint64(8)
		switch size {
		case 0:
			size = uint64(len(b))
		case 1:
			if len(b) < 16 {
				return out
			}
			size, hdr = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < hdr || size > uint64(len(b)) {
			return out
		}
		out = append(out, box{typ: typ, body: b[hdr:size]})
		b = b[size:]
	}
	return out
}

func findBox(b []byte, typ string) ([]byte, bool) {
	for _, bx := range splitBoxes(b) {
		if bx.typ == typ {
			return bx.body, true
		}
	}
	return nil, false
}

type heifItems struct{ primary int64 }

func (h *heifItems) readPrimary(meta []byte) {
	pitm, ok := findBox(meta, "pitm")
	if !ok || len(pitm) < 6 {
		return
	}
	r := &reader{b: pitm, be: binary.BigEndian}
	if r.u8() == 0 {
		r.skip(3)
		h.primary = int64(r.u16())
	} else {
		r.skip(3)
		h.primary = int64(r.u32())
	}
	if r.bad {
		h.primary = -1
	}
}

// primaryProperties returns the 1-based ipco indices associated with the
// primary item by ipma.
func (h *heifItems) primaryProperties(ipma []byte) []int {
	r := &reader{b: ipma, be: binary.BigEndian}
	version := r.u8()
	r.skip(2)
	wide := r.u8()&1 == 1
	var out []int
	for n := r.u32(); n > 0 && !r.bad; n-- {
		id := int64(r.u16())
		if version >= 1 {
			r.off -= 2
			id = int64(r.u32())
		}
		for k := r.u8(); k > 0 && !r.bad; k-- {
			idx := int(r.u8()) & 0x7f
			if wide {
				r.off--
				idx = int(r.u16()) & 0x7fff
			}
			if id == h.primary && !r.bad {
				out = append(out, idx)
			}
		}
	}
	return out
}

func applyProperty(m *Meta, rotated *bool, p box) {
	switch p.typ {
	case "ispe":
		if len(p.body) >= 12 {
			m.Width = int(binary.BigEndian.Uint32(p.body[4:]) & 0x7fffffff)
			m.Height = int(binary.BigEndian.Uint32(p.body[8:]) & 0x7fffffff)
		}
	case "irot":
		*rotated = len(p.body) >= 1 && p.body[0]&1 == 1 // 90 or 270 degrees
	}
}

func isAlphaAux(body []byte) bool {
	if len(body) < 4 {
		return false
	}
	urn := string(body[4:])
	return strings.HasPrefix(urn, "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha") ||
		strings.HasPrefix(urn, "urn:mpeg:hevc:2015:auxid:1")
}
