package transform

import (
	"strconv"
	"strings"
)

// ParseAccept returns the formats an HTTP Accept header admits. JPEG, PNG and
// GIF are always in the set (every client decodes them); JPEG XL, AVIF, WebP
// and HEIF only when named explicitly (image/jxl, image/avif, image/webp,
// image/heif or image/heic) with a non-zero q, because old clients send */*
// without decoding them. Malformed entries are ignored.
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
	"image/jxl": JXL, "image/avif": AVIF, "image/webp": WebP, "image/heif": HEIF, "image/heic": HEIF,
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

// Negotiate picks the output format with DefaultFormatOrder; see
// FormatOrder.Negotiate.
func Negotiate(accept string, src Meta, requested Format) Format {
	return DefaultFormatOrder().Negotiate(accept, src, requested)
}
