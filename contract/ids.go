package contract

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalidID is wrapped by every error of CheckTenant and CheckPublicID.
// Their texts are safe to show to a client.
var ErrInvalidID = errors.New("invalid id")

// Limits on identifiers, in bytes.
const (
	MaxTenantLen   = 63
	MaxPublicIDLen = 512
)

// ValidTenant reports whether t is a tenant name: 1–63 bytes of [a-z0-9-],
// not starting with '-'.
func ValidTenant(t string) bool {
	if t == "" || len(t) > MaxTenantLen || t[0] == '-' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// CheckTenant returns an error wrapping ErrInvalidID unless ValidTenant(t).
func CheckTenant(t string) error {
	if !ValidTenant(t) {
		return fmt.Errorf("%w: tenant must be 1–%d of a-z, 0-9 and '-', not starting with '-'", ErrInvalidID, MaxTenantLen)
	}
	return nil
}

// CheckPublicID returns an error wrapping ErrInvalidID unless id is a public
// id: 1–512 bytes of UTF-8 without control characters, '\', '?', '#' or '%',
// whose '/'-separated segments are neither empty, "." nor "..". Such an id
// cannot name anything outside its tenant, in a key, a path or a URL.
func CheckPublicID(id string) error {
	if id == "" || len(id) > MaxPublicIDLen || !utf8.ValidString(id) {
		return fmt.Errorf("%w: public id must be 1–%d bytes of UTF-8", ErrInvalidID, MaxPublicIDLen)
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`\?#%`, r) {
			return fmt.Errorf("%w: public id contains %q", ErrInvalidID, r)
		}
	}
	for seg := range strings.SplitSeq(id, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: public id has an empty, . or .. segment", ErrInvalidID)
		}
	}
	return nil
}
