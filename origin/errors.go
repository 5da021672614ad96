package origin

import "errors"

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
	ErrUnavailable        = errors.New("dependency unavailable")
)
