package transform

import (
	"fmt"
	"strings"
)

// Format is an image file format. The zero value is FormatAuto: "negotiate
// from the client's Accept header".
type Format uint8

// Formats. HEIF is read-only (HEIC photos): it can be a source but never an
// output. JXL (JPEG XL) is write-only: Probe recognises it, but a Processor
// does not decode it. New formats go last, so that FormatSet bits and
// existing variant keys stay put.
const (
	FormatAuto Format = iota
	JPEG
	PNG
	WebP
	AVIF
	GIF
	HEIF
	JXL
	formatCount
)

var formatNames = [formatCount]string{"auto", "jpeg", "png", "webp", "avif", "gif", "heif", "jxl"}

var formatTypes = [formatCount]string{"", "image/jpeg", "image/png", "image/webp", "image/avif", "image/gif", "image/heif", "image/jxl"}

// String returns the lower-case name used in URLs ("jpeg", "webp", …).
func (f Format) String() string {
	if f >= formatCount {
		return "unknown"
	}
	return formatNames[f]
}

// ContentType returns the MIME type, or "" for FormatAuto and unknown values.
func (f Format) ContentType() string {
	if f >= formatCount {
		return ""
	}
	return formatTypes[f]
}

// Writable reports whether a Processor can encode f.
func (f Format) Writable() bool {
	return (f >= JPEG && f <= GIF) || f == JXL
}

// SupportsAlpha reports whether f can carry an alpha channel.
func (f Format) SupportsAlpha() bool {
	return f == PNG || f == WebP || f == AVIF || f == GIF || f == HEIF || f == JXL
}

// ParseFormat parses a URL format name ("auto", "jpeg", "jpg", "png", "webp",
// "avif", "gif", "jxl"); ok is false for anything else.
func ParseFormat(s string) (f Format, ok bool) {
	switch strings.ToLower(s) {
	case "auto":
		return FormatAuto, true
	case "jpeg", "jpg":
		return JPEG, true
	case "png":
		return PNG, true
	case "webp":
		return WebP, true
	case "avif":
		return AVIF, true
	case "gif":
		return GIF, true
	case "jxl":
		return JXL, true
	}
	return FormatAuto, false
}

// FormatNamed returns the format whose String is name, including those no
// URL asks for (heif); ok is false for any other name and for "auto".
func FormatNamed(name string) (f Format, ok bool) {
	for i, n := range formatNames {
		if n == name && Format(i) != FormatAuto {
			return Format(i), true
		}
	}
	return FormatAuto, false
}

// FormatSet is a set of formats, e.g. those a client accepts. The zero value
// is the empty set.
type FormatSet uint16

// NewFormatSet returns the set of the given formats.
func NewFormatSet(fs ...Format) FormatSet {
	var s FormatSet
	for _, f := range fs {
		s = s.With(f)
	}
	return s
}

// With returns s plus f.
func (s FormatSet) With(f Format) FormatSet { return s | 1<<f }

// Without returns s minus f.
func (s FormatSet) Without(f Format) FormatSet { return s &^ (1 << f) }

// Has reports whether f is in s.
func (s FormatSet) Has(f Format) bool { return s&(1<<f) != 0 }

// String lists the members in Format order, comma-separated ("jpeg,png").
func (s FormatSet) String() string {
	var names []string
	for f := JPEG; f < formatCount; f++ {
		if s.Has(f) {
			names = append(names, f.String())
		}
	}
	return strings.Join(names, ",")
}

// MarshalText encodes f by name ("webp"), for JSON and logs.
func (f Format) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText decodes a name written by MarshalText.
func (f *Format) UnmarshalText(b []byte) error {
	for i, name := range formatNames {
		if string(b) == name {
			*f = Format(i)
			return nil
		}
	}
	return fmt.Errorf("transform: unknown format %q", b)
}
