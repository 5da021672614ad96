package transform

import (
	"strconv"
	"strings"
)

// ParseAccept returns the formats an HTTP Accept header admits. JPEG, PNG and
// GIF are always in the set (every client decodes them); AVIF, WebP and HEIF
// only when named explicitly (image/avif, image/webp, image/heif or
// image/heic) with a non-zero q, because old clients send */* without
// decoding them. Malformed entries are ignored.
func ParseAccept(accept string) FormatSet {
	set := NewFormatSet(JPEG, PNG, GIF)
	for _, entry := range strings.Split(accept, ",") {
		mediaType, params, _ := strings.Cut(entry, ";")
		f, ok := explicitTypes[strings.ToLower(strings.TrimSpace(mediaType))]
		if ok && qualityOf(params) > 0 {
			set = set.With(f)
		}
	}
	return set
}

var explicitTypes = map[string]Format{
	"image/avif": AVIF, "image/webp": WebP, "image/heif": HEIF, "image/heic": HEIF,
}

// qualityOf returns the q parameter of an Accept entry's parameters, 1 if
// absent, 0 if malformed.
func qualityOf(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || !(q >= 0 && q <= 1) {
				return 0
			}
			return q
		}
	}
	return 1
}

// Negotiate picks the output format. A concrete requested format wins.
// For FormatAuto: an animation becomes WebP if the client takes it, else GIF
// (libvips cannot write animated AVIF); a still image becomes AVIF, else
// WebP, else PNG when the source has alpha, else JPEG. Pure and safe for
// concurrent use.
func Negotiate(accept string, src Meta, requested Format) Format {
	if requested != FormatAuto {
		return requested
	}
	set := ParseAccept(accept)
	switch {
	case src.Frames > 1 && set.Has(WebP):
		return WebP
	case src.Frames > 1:
		return GIF
	case set.Has(AVIF):
		return AVIF
	case set.Has(WebP):
		return WebP
	case src.HasAlpha:
		return PNG
	}
	return JPEG
}
