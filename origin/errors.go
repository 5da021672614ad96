package origin

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of the origin domain. Adapters wrap them with %w; the
// HTTP layer maps them to status codes in one place (statusFor).
var (
	ErrNotFound           = errors.New("not found")
	ErrExists             = errors.New("already exists")
	ErrUnauthorized       = errors.New("missing or unknown API key")
	ErrForbidden          = errors.New("key not allowed to do this")
	ErrPreconditionFailed = errors.New("precondition failed")
	ErrInvalid            = errors.New("invalid request")
	ErrUnsupportedType    = errors.New("unsupported image type")
	ErrTooLarge           = errors.New("image too large")
	ErrTooManyPixels      = errors.New("image has too many pixels")
	ErrUndecodable        = errors.New("image cannot be decoded")
	// ErrUnavailable is a store outage: the store cannot be reached or is
	// not serving (connection refused or reset, timeout, shutting down or
	// starting up). The request may succeed if retried later (503 with
	// Retry-After); nothing of it was committed.
	ErrUnavailable = errors.New("unavailable")
	// ErrCatalogUnavailable and ErrBlobsUnavailable say which store is out;
	// both match ErrUnavailable. The adapters wrap them.
	ErrCatalogUnavailable = fmt.Errorf("catalog %w", ErrUnavailable)
	ErrBlobsUnavailable   = fmt.Errorf("blob store %w", ErrUnavailable)
)

// RetryAfter is what a 503 for a store outage asks clients to wait.
const RetryAfter = 2 * time.Second

// UnavailableCause returns the short message for clients of an outage
// error ("catalog unavailable", "blob store unavailable", or "service
// unavailable" for another ErrUnavailable), and "" for any other error.
func UnavailableCause(err error) string {
	switch {
	case errors.Is(err, ErrCatalogUnavailable):
		return ErrCatalogUnavailable.Error()
	case errors.Is(err, ErrBlobsUnavailable):
		return ErrBlobsUnavailable.Error()
	case errors.Is(err, ErrUnavailable):
		return "service unavailable"
	}
	return ""
}
