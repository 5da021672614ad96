package origin

import (
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

// sniffImage reports whether head, an upload's first bytes, starts like an
// image type the origin takes (transform.Sniff). It runs before the body
// is stored, to refuse other types early; probeImage has the final word.
func sniffImage(head []byte) bool {
	_, ok := transform.Sniff(head)
	return ok
}

// contentType is the Content-Type of an image stored with format (an
// imageInfo.Format), or "" for an unknown one.
func contentType(format string) string {
	f, _ := transform.FormatNamed(format)
	return f.ContentType()
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
