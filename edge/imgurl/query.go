package imgurl

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// param is one decoded query parameter, in the order sent.
type param struct{ key, value string }

// maxParams bounds how many parameters a query may carry.
const maxParams = 32

// parseParams decodes a raw query into its parameters, refusing duplicates,
// empty keys and undecodable escapes.
func parseParams(rawQuery string) ([]param, error) {
	if rawQuery == "" {
		return nil, nil
	}
	parts := strings.Split(rawQuery, "&")
	if len(parts) > maxParams {
		return nil, fmt.Errorf("%w: more than %d parameters", ErrBadQuery, maxParams)
	}
	params := make([]param, 0, len(parts))
	seen := make(map[string]bool, len(parts))
	for _, part := range parts {
		if part == "" {
			continue
		}
		rk, rv, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(rk)
		v, err2 := url.QueryUnescape(rv)
		if err1 != nil || err2 != nil || k == "" {
			return nil, fmt.Errorf("%w: malformed parameter %q", ErrBadQuery, truncate(rk))
		}
		if seen[k] {
			return nil, fmt.Errorf("%w: %s: given twice", ErrBadQuery, truncate(k))
		}
		seen[k] = true
		params = append(params, param{k, v})
	}
	return params, nil
}

// encodeParams renders params sorted by key, so equal sets give one string.
func encodeParams(params []param) string {
	sort.Slice(params, func(i, j int) bool { return params[i].key < params[j].key })
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.value))
	}
	return b.String()
}

// decodedValues returns params as url.Values; nil for none.
func decodedValues(params []param) url.Values {
	if len(params) == 0 {
		return nil
	}
	v := make(url.Values, len(params))
	for _, p := range params {
		v[p.key] = []string{p.value}
	}
	return v
}

// withoutSignature returns the raw query as sent with every "s" parameter
// removed (the other parameters keep their order and spelling) and the
// signature value, if any.
func withoutSignature(rawQuery string) (rest, sig string, found bool) {
	if rawQuery == "" {
		return "", "", false
	}
	var kept []string
	for _, part := range strings.Split(rawQuery, "&") {
		if k, v, _ := strings.Cut(part, "="); k == "s" {
			sig, found = v, true
			continue
		}
		kept = append(kept, part)
	}
	return strings.Join(kept, "&"), sig, found
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
