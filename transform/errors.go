package transform

import "errors"

// Sentinel errors. Every error returned by Parse, Probe, Limits.Check and a
// Processor wraps exactly one of these (or a context error), so callers map
// them to responses with errors.Is. Their text is safe to show to a client.
var (
	// ErrInvalidOption: a transform option is unknown or out of range (→ 400).
	ErrInvalidOption = errors.New("invalid option")
	// ErrUnsupported: the source is not a format this package reads, or the
	// requested output cannot be produced (→ 415).
	ErrUnsupported = errors.New("unsupported image format")
	// ErrTooLarge: the source exceeds the byte limit (→ 413).
	ErrTooLarge = errors.New("image too large")
	// ErrTooManyPixels: the source declares more pixels than allowed, per
	// frame or across frames (→ 422).
	ErrTooManyPixels = errors.New("image has too many pixels")
	// ErrTooManyFrames: the source animation has too many frames (→ 422). It
	// wraps ErrTooManyPixels, so errors.Is(err, ErrTooManyPixels) also holds.
	ErrTooManyFrames = &wrapped{msg: "image has too many frames", base: ErrTooManyPixels}
	// ErrCorrupt: the source is empty, truncated or cannot be decoded (→ 422).
	ErrCorrupt = errors.New("image is corrupt or truncated")
	// ErrOverloaded: every worker is busy and the queue is full; retry later
	// (→ 503 with Retry-After).
	ErrOverloaded = errors.New("image processing overloaded")
)

// wrapped is a sentinel that is also another sentinel.
type wrapped struct {
	msg  string
	base error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.base }
