package transform

import "fmt"

// Limits bound the work of one transform. The source limits are checked
// from its header before any decoding, so a decompression bomb costs a
// header read; the output limits are checked from the planned geometry,
// also before decoding, so no option set can ask for unbounded work.
type Limits struct {
	MaxSourceBytes int   // encoded source size in bytes; default 50 MiB
	MaxPixels      int64 // width×height of one frame; default 50 megapixels
	MaxFrames      int   // animation frames; default 200
	MaxTotalPixels int64 // width×height×frames; default 250 megapixels
	// MaxOutputPixels bounds width×height×frames of the output, and of any
	// larger intermediate image, unless the source itself is larger
	// (re-encoding a source is never refused for its size). Default
	// 16,777,216 (4096×4096).
	MaxOutputPixels int64
	// MaxEffectWork bounds blur and sharpen: each may cost at most
	// megapixels × sigma² of the image it runs on (their cost grows with
	// both, see docs/reliability.md). Default 1000: a 5 MP image blurred
	// with sigma 14, 1 MP with 31, 0.1 MP with 100.
	MaxEffectWork float64
}

// DefaultLimits returns the limits documented on Limits.
func DefaultLimits() Limits {
	return Limits{
		MaxSourceBytes:  50 << 20,
		MaxPixels:       50_000_000,
		MaxFrames:       200,
		MaxTotalPixels:  250_000_000,
		MaxOutputPixels: 4096 * 4096,
		MaxEffectWork:   1000,
	}
}

// Validate reports a non-positive limit.
func (l Limits) Validate() error {
	if l.MaxSourceBytes <= 0 || l.MaxPixels <= 0 || l.MaxFrames <= 0 || l.MaxTotalPixels <= 0 ||
		l.MaxOutputPixels <= 0 || !(l.MaxEffectWork > 0) {
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

// CheckWork returns an *OptionError (ErrInvalidOption) naming the option
// at fault when o, applied to a source of srcPixels (all frames), would
// make an image of more than MaxOutputPixels (peakPixels, all frames, the
// largest image the transform holds) or blur or sharpen beyond
// MaxEffectWork (effectPixels: the image those run on, one frame).
func (l Limits) CheckWork(o Options, srcPixels, peakPixels, effectPixels int64) error {
	if peakPixels > max(l.MaxOutputPixels, srcPixels) {
		return optErr("w,h", fmt.Sprintf("the result would be larger than %d pixels", max(l.MaxOutputPixels, srcPixels)))
	}
	mp := float64(effectPixels) / 1e6
	if o.Blur > 0 && mp*o.Blur*o.Blur > l.MaxEffectWork {
		return optErr("blur", "too large for this image size: use a smaller sigma or a smaller image")
	}
	if o.Sharpen > 0 && mp*o.Sharpen*o.Sharpen > l.MaxEffectWork {
		return optErr("sharpen", "too large for this image size: use a smaller sigma or a smaller image")
	}
	return nil
}
