package imgurl

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"pixcdn/contract"
)

// Sentinel errors. Every error returned by this package wraps one of them so
// the edge can map it to a status code in one place.
var (
	// ErrBadPath: the path is not /{tenant}/{public_id} (→ 404).
	ErrBadPath = errors.New("bad image path")
	// ErrBadID: the tenant or public id breaks the rules both edge and
	// origin enforce (package contract); such errors also wrap
	// contract.ErrInvalidID (→ 400).
	ErrBadID = errors.New("bad image id")
	// ErrBadQuery: malformed, duplicated or disallowed query parameter (→ 400).
	ErrBadQuery = errors.New("bad query")
	// ErrSignature: a signature is missing where required, or does not verify (→ 403).
	ErrSignature = errors.New("bad or missing signature")
)

// Split parses a raw (percent-encoded, as sent) request path
// "/{tenant}/{public_id}" into its decoded parts. The public id may contain
// "/". A path without both parts wraps ErrBadPath; a bad escape, tenant or
// public id (contract.CheckTenant, contract.CheckPublicID) wraps ErrBadID,
// so no public id can name anything outside its tenant, and every id the
// edge passes on is one the origin accepts.
func Split(rawPath string) (tenant, publicID string, err error) {
	if !strings.HasPrefix(rawPath, "/") {
		return "", "", fmt.Errorf("%w: must start with /", ErrBadPath)
	}
	rawTenant, rawID, ok := strings.Cut(rawPath[1:], "/")
	if !ok || rawID == "" {
		return "", "", fmt.Errorf("%w: want /{tenant}/{public_id}", ErrBadPath)
	}
	if tenant, err = url.PathUnescape(rawTenant); err != nil {
		return "", "", fmt.Errorf("%w: bad escape in tenant", ErrBadID)
	}
	if err := CheckTenant(tenant); err != nil {
		return "", "", err
	}
	if publicID, err = url.PathUnescape(rawID); err != nil {
		return "", "", fmt.Errorf("%w: bad escape in public id", ErrBadID)
	}
	if err := CheckPublicID(publicID); err != nil {
		return "", "", err
	}
	return tenant, publicID, nil
}

// Path returns the raw path /{tenant}/{public_id} of an image, each segment
// of the public id percent-encoded, ready to sign and publish. It refuses
// (ErrBadID) a tenant or public id the edge would refuse.
func Path(tenant, publicID string) (string, error) {
	if err := CheckTenant(tenant); err != nil {
		return "", err
	}
	if err := CheckPublicID(publicID); err != nil {
		return "", err
	}
	segments := strings.Split(publicID, "/")
	for i, seg := range segments {
		segments[i] = url.PathEscape(seg)
	}
	return "/" + url.PathEscape(tenant) + "/" + strings.Join(segments, "/"), nil
}

// CheckPublicID is contract.CheckPublicID, wrapping ErrBadID as well.
func CheckPublicID(id string) error {
	if err := contract.CheckPublicID(id); err != nil {
		return fmt.Errorf("%w: %w", ErrBadID, err)
	}
	return nil
}

// CheckTenant is contract.CheckTenant, wrapping ErrBadID as well.
func CheckTenant(t string) error {
	if err := contract.CheckTenant(t); err != nil {
		return fmt.Errorf("%w: %w", ErrBadID, err)
	}
	return nil
}
