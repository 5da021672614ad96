package imgurl

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Sentinel errors. Every error returned by this package wraps one of them so
// the edge can map it to a status code in one place.
var (
	// ErrBadPath: the path is not /{tenant}/{public_id} or escapes it (→ 400/404).
	ErrBadPath = errors.New("bad image path")
	// ErrBadQuery: malformed, duplicated or disallowed query parameter (→ 400).
	ErrBadQuery = errors.New("bad query")
	// ErrSignature: a signature is missing where required, or does not verify (→ 403).
	ErrSignature = errors.New("bad or missing signature")
)

// MaxTenantLen and MaxPublicIDLen bound the two path parts, in bytes.
const (
	MaxTenantLen   = 63
	MaxPublicIDLen = 1024
)

// Split parses a raw (percent-encoded, as sent) request path
// "/{tenant}/{public_id}" into its decoded parts. The public id may contain
// "/"; empty, "." and ".." segments, backslashes, NUL and other control
// characters are refused, so no public id can name anything outside its
// tenant. The tenant is lower-case letters, digits, '-' and '_'.
func Split(rawPath string) (tenant, publicID string, err error) {
	if !strings.HasPrefix(rawPath, "/") {
		return "", "", fmt.Errorf("%w: must start with /", ErrBadPath)
	}
	rawTenant, rawID, ok := strings.Cut(rawPath[1:], "/")
	if !ok || rawID == "" {
		return "", "", fmt.Errorf("%w: want /{tenant}/{public_id}", ErrBadPath)
	}
	if tenant, err = url.PathUnescape(rawTenant); err != nil || !validTenant(tenant) {
		return "", "", fmt.Errorf("%w: bad tenant", ErrBadPath)
	}
	if publicID, err = url.PathUnescape(rawID); err != nil {
		return "", "", fmt.Errorf("%w: bad escape", ErrBadPath)
	}
	if err := checkPublicID(publicID); err != nil {
		return "", "", err
	}
	return tenant, publicID, nil
}

func validTenant(s string) bool {
	if s == "" || len(s) > MaxTenantLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || (i > 0 && (c == '-' || c == '_'))
		if !ok {
			return false
		}
	}
	return true
}

// checkPublicID refuses ids that could escape a folder or confuse a key.
func checkPublicID(id string) error {
	if len(id) > MaxPublicIDLen {
		return fmt.Errorf("%w: public id longer than %d bytes", ErrBadPath, MaxPublicIDLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return fmt.Errorf("%w: bad character in public id", ErrBadPath)
		}
	}
	for _, seg := range strings.Split(id, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: empty, . or .. segment in public id", ErrBadPath)
		}
	}
	return nil
}

// CheckPublicID reports whether id is an acceptable public id (see Split).
func CheckPublicID(id string) error { return checkPublicID(id) }

// CheckTenant reports whether t is an acceptable tenant name (see Split).
func CheckTenant(t string) error {
	if !validTenant(t) {
		return fmt.Errorf("%w: bad tenant", ErrBadPath)
	}
	return nil
}
