package origin

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// imageInfo is what ingestion reads from an image's header.
type imageInfo struct {
	Format      string // jpeg, png, gif, webp, avif, heif
	ContentType string
	Width       int
	Height      int
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// sniffFormat names the image type of head from its magic bytes, or "".
func sniffFormat(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xd8, 0xff}):
		return "jpeg"
	case bytes.HasPrefix(head, pngMagic):
		return "png"
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "gif"
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return "webp"
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return heifBrand(head)
	}
	return ""
}

func sniffImage(head []byte) bool { return sniffFormat(head) != "" }

// heifBrand tells AVIF from other HEIF by the ftyp brands.
func heifBrand(head []byte) string {
	size := int(binary.BigEndian.Uint32(head))
	if size < 16 || size > len(head) {
		size = len(head)
	}
	heif := ""
	for off := 8; off+4 <= size; off += 4 {
		switch string(head[off : off+4]) {
		case "avif", "avis":
			return "avif"
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			heif = "heif"
		}
	}
	return heif
}

var contentTypes = map[string]string{
	"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
	"webp": "image/webp", "avif": "image/avif", "heif": "image/heif",
}

// probeImage reads format and dimensions from the header of b without
// decoding pixels. It returns ErrUnsupportedType for other types and
// ErrUndecodable for a header it cannot read. Safe for concurrent use.
func probeImage(b []byte) (imageInfo, error) {
	format := sniffFormat(b)
	var w, h int
	var ok bool
	switch format {
	case "":
		return imageInfo{}, ErrUnsupportedType
	case "jpeg":
		w, h, ok = jpegSize(b)
	case "png":
		ok = len(b) >= 24 && string(b[12:16]) == "IHDR"
		if ok {
			w, h = int(binary.BigEndian.Uint32(b[16:])), int(binary.BigEndian.Uint32(b[20:]))
		}
	case "gif":
		ok = len(b) >= 10
		if ok {
			w, h = int(binary.LittleEndian.Uint16(b[6:])), int(binary.LittleEndian.Uint16(b[8:]))
		}
	case "webp":
		w, h, ok = webpSize(b)
	default:
		w, h, ok = heifSize(b)
	}
	if !ok || w <= 0 || h <= 0 || w > 1<<20 || h > 1<<20 {
		return imageInfo{}, fmt.Errorf("%w: unreadable %s header", ErrUndecodable, format)
	}
	return imageInfo{Format: format, ContentType: contentTypes[format], Width: w, Height: h}, nil
}
