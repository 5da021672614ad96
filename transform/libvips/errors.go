package libvips

import (
	"errors"

	"pixcdn/transform"
)

// stepError is a failure inside one pipeline step. Its text is only the
// sentinel's (safe for clients: no libvips message leaks); Detail gives the
// step and the underlying libvips error for logs.
type stepError struct {
	kind  error // a transform sentinel
	step  string
	cause error
}

func (e *stepError) Error() string { return e.kind.Error() }
func (e *stepError) Unwrap() error { return e.kind }

// Detail returns "step: libvips error text", for operator logs only.
func (e *stepError) Detail() string { return e.step + ": " + e.cause.Error() }

// Detail returns the internal detail of an error from Process (step and
// libvips message) for logs, or "" if err carries none. Never send it to a
// client.
func Detail(err error) string {
	var se *stepError
	if errors.As(err, &se) {
		return se.Detail()
	}
	return ""
}

func corrupt(step string, cause error) error {
	return &stepError{kind: transform.ErrCorrupt, step: step, cause: cause}
}

func unsupported(step string, cause error) error {
	return &stepError{kind: transform.ErrUnsupported, step: step, cause: cause}
}
