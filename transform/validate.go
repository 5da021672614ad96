package transform

import "fmt"

// OptionError is an invalid option. Its text names the parameter and is safe
// to show to a client ("w: must be an integer 1..8192"); it matches
// ErrInvalidOption with errors.Is.
type OptionError struct {
	Param  string // the URL parameter, possibly truncated
	Reason string // what is wrong, in words a user understands
}

func (e *OptionError) Error() string { return e.Param + ": " + e.Reason }

// Is makes errors.Is(err, ErrInvalidOption) true.
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOption }

func optErr(param, reason string) error {
	return &OptionError{Param: param, Reason: reason}
}

// Reasons shared by Parse and Validate.
var (
	reasonSide    = fmt.Sprintf("must be an integer 1..%d", MaxSide)
	reasonDPR     = fmt.Sprintf("must be a number 1..%d", MaxDPR)
	reasonQuality = "must be an integer 1..100"
	reasonSigma   = fmt.Sprintf("must be a number %g..%g", MinSigma, MaxSigma)
	reasonRotate  = "must be 90, 180 or 270"
	reasonFocal   = "focal point must be fp:X,Y with X and Y in 0..1"
	reasonFormat  = "must be auto, jxl, avif, webp, jpeg, png or gif"
)

// Validate checks every field's range and the combinations: gravity only
// with fit=cover. Errors are *OptionError (ErrInvalidOption).
func (o Options) Validate() error {
	checks := []func() error{
		func() error { return checkSide("w", o.Width) },
		func() error { return checkSide("h", o.Height) },
		o.validateDPR,
		o.validateEnums,
		o.validateGravity,
		func() error { return checkRange("q", float64(o.Quality), 1, 100, reasonQuality) },
		func() error { return checkRange("blur", o.Blur, MinSigma, MaxSigma, reasonSigma) },
		func() error { return checkRange("sharpen", o.Sharpen, MinSigma, MaxSigma, reasonSigma) },
	}
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}

func checkSide(param string, v int) error {
	if v < 0 || v > MaxSide {
		return optErr(param, reasonSide)
	}
	return nil
}

// checkRange accepts 0 (unset) or a value in lo..hi; NaN fails.
func checkRange(param string, v, lo, hi float64, reason string) error {
	if v == 0 || (v >= lo && v <= hi) {
		return nil
	}
	return optErr(param, reason)
}

func (o Options) validateDPR() error {
	return checkRange("dpr", o.DPR, 1, MaxDPR, reasonDPR)
}

func (o Options) validateEnums() error {
	switch {
	case o.Fit >= fitCount:
		return optErr("fit", "must be inside, cover, contain, fill or outside")
	case o.Format >= formatCount || o.Format == HEIF:
		return optErr("fm", reasonFormat)
	case o.Rotate != 0 && o.Rotate != 90 && o.Rotate != 180 && o.Rotate != 270:
		return optErr("rot", reasonRotate)
	case o.Flip > FlipVertical:
		return optErr("flip", "must be h or v")
	case o.Background != (Color{}) && !o.Background.Set:
		return optErr("bg", "must be rrggbb or rrggbbaa")
	}
	return nil
}

func (o Options) validateGravity() error {
	g := o.Gravity
	if g.Kind >= gravityCount {
		return optErr("g", "must be center, n, s, e, w, ne, nw, se, sw, smart or fp:X,Y")
	}
	if g.Kind != GravityFocal && (g.X != 0 || g.Y != 0) {
		return optErr("g", reasonFocal)
	}
	if g.Kind == GravityFocal && !(g.X >= 0 && g.X <= 1 && g.Y >= 0 && g.Y <= 1) {
		return optErr("g", reasonFocal)
	}
	if g != (Gravity{}) && o.Fit != FitCover {
		return optErr("g", "applies only with fit=cover")
	}
	return nil
}
