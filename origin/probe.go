package origin

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"pixcdn/transform"
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
// It runs on the first bytes of an upload, before the body is stored, to
// refuse other types early; probeImage has the final word.
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

// probeImage reads format and dimensions from b's header and container
// structure with transform.Probe (no pixel is decoded). It returns
// ErrUnsupportedType for other types and ErrUndecodable for a header it
// cannot read. Safe for concurrent use.
func probeImage(b []byte) (imageInfo, error) {
	m, err := transform.Probe(b)
	switch {
	case errors.Is(err, transform.ErrUnsupported):
		return imageInfo{}, fmt.Errorf("%w: %w", ErrUnsupportedType, err)
	case errors.Is(err, transform.ErrTooManyPixels):
		return imageInfo{}, fmt.Errorf("%w: %w", ErrTooManyPixels, err)
	case err != nil:
		return imageInfo{}, fmt.Errorf("%w: %w", ErrUndecodable, err)
	}
	format := m.Format.String()
	return imageInfo{Format: format, ContentType: m.Format.ContentType(), Width: m.Width, Height: m.Height}, nil
}
