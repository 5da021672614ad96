package imgurl

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// expParam is the query parameter holding a signed URL's expiry in Unix
// seconds. It is part of the signed query, so it cannot be changed or
// removed without breaking the signature.
const expParam = "exp"

// maxExp bounds exp so that time.Unix never overflows (year 9999).
const maxExp = 253402300799

// expiry returns the time in the exp parameter among params, or zero when
// there is none. exp is refused (ErrBadQuery) in an unsigned URL, where
// nothing would hold it, and when it is not a positive decimal integer.
func expiry(params []param, signed bool) (time.Time, error) {
	for _, p := range params {
		if p.key != expParam {
			continue
		}
		if !signed {
			return time.Time{}, fmt.Errorf("%w: exp: only valid in a signed URL (with s)", ErrBadQuery)
		}
		sec, err := strconv.ParseInt(p.value, 10, 64)
		if err != nil || sec <= 0 || sec > maxExp || strings.TrimLeft(p.value, "0123456789") != "" {
			return time.Time{}, fmt.Errorf("%w: exp: %q is not Unix seconds", ErrBadQuery, truncate(p.value))
		}
		return time.Unix(sec, 0), nil
	}
	return time.Time{}, nil
}

// HasExpiry reports whether a raw request URI (path and query, as sent)
// carries an exp parameter, decoded as Parse decodes it; true as well for a
// query Parse cannot decode. A parsed request with an expiry is valid only
// until then, so callers that memoise parse results must not keep a request
// whose URI has one.
func HasExpiry(rawURI string) bool {
	_, rawQuery, ok := strings.Cut(rawURI, "?")
	if !ok || !strings.Contains(rawQuery, "xp") && !strings.Contains(rawQuery, "%") {
		return false
	}
	rest, _, _ := withoutSignature(rawQuery)
	params, err := parseParams(rest)
	if err != nil {
		return true
	}
	for _, p := range params {
		if p.key == expParam {
			return true
		}
	}
	return false
}
