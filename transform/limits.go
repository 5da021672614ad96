package transform

import "fmt"

// Limits bound what a source image may declare in its header; Check runs
// before any decoding, so a decompression bomb costs a header read.
type Limits struct {
	MaxSourceBytes int   // encoded source size in bytes; default 50 MiB
	MaxPixels      int64 // width×height of one frame; default 50 megapixels
	MaxFrames      int   // animation frames; default 200
	MaxTotalPixels int64 // width×height×frames; default 250 megapixels
}

// DefaultLimits returns the limits from the issue: 50 MiB, 50 MP, 200 frames,
// 250 MP across frames.
func DefaultLimits() Limits {
	return Limits{
		MaxSourceBytes: 50 << 20,
		MaxPixels:      50_000_000,
		MaxFrames:      200,
		MaxTotalPixels: 250_000_000,
	}
}

// Validate reports a non-positive limit.
func (l Limits) Validate() error {
	if l.MaxSourceBytes <= 0 || l.MaxPixels <= 0 || l.MaxFrames <= 0 || l.MaxTotalPixels <= 0 {
		return fmt.Errorf("transform: limits must be positive: %+v", l)
	}
	return nil
}

// Check returns ErrTooLarge, ErrTooManyPixels or ErrTooManyFrames (wrapped)
// when m exceeds l, nil otherwise.
func (l Limits) Check(m Meta) error {
	switch {
	case m.Bytes > l.MaxSourceBytes:
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, l.MaxSourceBytes)
	case m.Pixels() > l.MaxPixels:
		return fmt.Errorf("%w: more than %d pixels", ErrTooManyPixels, l.MaxPixels)
	case m.Frames > l.MaxFrames:
		return fmt.Errorf("%w: more than %d", ErrTooManyFrames, l.MaxFrames)
	case m.Pixels()*int64(m.Frames) > l.MaxTotalPixels:
		return fmt.Errorf("%w: more than %d pixels across frames", ErrTooManyPixels, l.MaxTotalPixels)
	}
	return nil
}
