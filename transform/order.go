package transform

import (
	"fmt"
	"strings"
)

// FormatOrder is the preference order in which FormatAuto picks an output
// format for a still image among those the client accepts: the first
// accepted member wins. Its members are distinct formats from JXL, AVIF and
// WebP (the formats a client must name in Accept); a format left out is
// never negotiated for a still image. A FormatOrder is not modified after it
// is made, so it may be shared between goroutines.
type FormatOrder []Format

// negotiable are the formats a FormatOrder may hold.
var negotiable = NewFormatSet(JXL, AVIF, WebP)

// DefaultFormatOrder returns the order FormatAuto uses unless configured
// otherwise: AVIF, then WebP, then JPEG XL (docs/benchmarks.md, "JPEG XL"
// section, gives the measurements behind it).
func DefaultFormatOrder() FormatOrder { return FormatOrder{AVIF, WebP, JXL} }

// ParseFormatOrder parses a comma-separated order such as "jxl,avif,webp".
// It needs at least one member, each of jxl, avif and webp at most once.
func ParseFormatOrder(s string) (FormatOrder, error) {
	var order FormatOrder
	var seen FormatSet
	for _, name := range strings.Split(s, ",") {
		f, ok := ParseFormat(strings.TrimSpace(name))
		switch {
		case !ok || !negotiable.Has(f):
			return nil, fmt.Errorf("transform: format order: %q is not one of jxl, avif, webp", strings.TrimSpace(name))
		case seen.Has(f):
			return nil, fmt.Errorf("transform: format order: %s given twice", f)
		}
		order, seen = append(order, f), seen.With(f)
	}
	return order, nil
}

// String returns the order as ParseFormatOrder reads it ("avif,webp,jxl").
func (order FormatOrder) String() string {
	names := make([]string, len(order))
	for i, f := range order {
		names[i] = f.String()
	}
	return strings.Join(names, ",")
}

// Set returns the members of order as a set.
func (order FormatOrder) Set() FormatSet { return NewFormatSet(order...) }

// Negotiate picks the output format for a request. A concrete requested
// format wins; FormatAuto is resolved by Choose over ParseAccept(accept).
// Pure and safe for concurrent use.
func (order FormatOrder) Negotiate(accept string, src Meta, requested Format) Format {
	if requested != FormatAuto {
		return requested
	}
	return order.Choose(ParseAccept(accept), src)
}

// Choose picks the output format for a source and the set of formats the
// client accepts. An animation becomes WebP if accepted, else GIF (libvips
// writes neither animated AVIF nor animated JPEG XL), whatever the order; a
// still image becomes the first member of order in accepted, else PNG when
// the source has alpha, else JPEG. Pure and safe for concurrent use.
func (order FormatOrder) Choose(accepted FormatSet, src Meta) Format {
	if src.Frames > 1 {
		if accepted.Has(WebP) {
			return WebP
		}
		return GIF
	}
	for _, f := range order {
		if accepted.Has(f) {
			return f
		}
	}
	if src.HasAlpha {
		return PNG
	}
	return JPEG
}

// slowToEncode are the formats whose encoders take clearly longer than
// WebP's (docs/benchmarks.md, "AVIF effort" and "JPEG XL"): a negotiated
// request that would get one of them may be answered with a cheaper
// accepted format while it is made.
var slowToEncode = NewFormatSet(AVIF, JXL)

// Cheaper returns accepted without the formats that are slow to encode
// (AVIF, JPEG XL), and whether Choose would pick a slow one for a still
// image over accepted, so that the cheaper set gives another answer (it
// always holds JPEG, PNG and GIF, which every client accepts). Pure and
// safe for concurrent use.
func (order FormatOrder) Cheaper(accepted FormatSet) (FormatSet, bool) {
	cheaper := accepted &^ slowToEncode
	for _, f := range order {
		if accepted.Has(f) {
			return cheaper, slowToEncode.Has(f)
		}
	}
	return cheaper, false
}
