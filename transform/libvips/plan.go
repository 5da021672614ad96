package libvips

import (
	"math"

	"github.com/davidbyttow/govips/v2/vips"

	"pixcdn/transform"
)

// plan is the geometry of one transform, computed from the source size (as
// displayed) and the normalized options before anything is decoded.
type plan struct {
	thumbW, thumbH int              // box given to vips_thumbnail (shrink-on-load)
	size           vips.Size        // SizeDown (never enlarge), SizeBoth or SizeForce
	crop           vips.Interesting // libvips' own crop: none, centre or attention
	boxW, boxH     int              // final size after the crop or embed step; 0 = as resized
	extract        bool             // crop the resized image to box per gravity
	embed          bool             // letterbox the resized image into box
}

// newPlan maps fit onto vips_thumbnail: inside → size down; contain → size
// both then embed; fill → force; outside → the cover scale, no crop; cover →
// libvips' centre or attention crop for stills, else a forced resize to
// cover the box then an extract per gravity (also for animations, whose
// frames libvips' crop would not respect).
func newPlan(srcW, srcH int, o transform.Options, animated bool) plan {
	w, h := o.Width, o.Height
	if w == 0 && h == 0 {
		return plan{thumbW: transform.MaxSide, thumbH: transform.MaxSide, size: vips.SizeDown}
	}
	if o.Fit == transform.FitInside {
		// One side given: only it binds, so it comes out exact (a box
		// with the other side rounded would bind by a fraction of a
		// pixel and take one off the given side).
		if w == 0 {
			w = transform.MaxSide
		}
		if h == 0 {
			h = transform.MaxSide
		}
		return plan{thumbW: w, thumbH: h, size: vips.SizeDown}
	}
	if w == 0 {
		w = sideFor(h, srcW, srcH)
	}
	if h == 0 {
		h = sideFor(w, srcH, srcW)
	}
	p := plan{thumbW: w, thumbH: h, size: vips.SizeBoth}
	switch o.Fit {
	case transform.FitContain:
		p.boxW, p.boxH, p.embed = w, h, true
	case transform.FitFill:
		p.size = vips.SizeForce
	case transform.FitOutside:
		p.thumbW, p.thumbH = coverSize(srcW, srcH, w, h)
	case transform.FitCover:
		p = coverPlan(p, srcW, srcH, o.Gravity.Kind, animated)
	}
	return p
}

// exact pins the size vips_thumbnail makes to the one the plan gives a
// srcW×srcH source (a forced resize to it), so that libvips' rounding
// after shrink-on-load cannot take a pixel off a side derived from the
// aspect ratio, and a master of the source resizes to the same size. Plans
// with libvips' own crop already give the box exactly.
func (p plan) exact(srcW, srcH int) plan {
	if p.crop != vips.InterestingNone || p.size == vips.SizeForce {
		return p
	}
	p.thumbW, p.thumbH = p.resized(srcW, srcH)
	p.size = vips.SizeForce
	return p
}

// pixels returns, for one frame of a srcW×srcH source, the largest image
// the plan holds (peak) and the size of its result before any effect
// (out), in pixels. They bound the work of the steps after decode.
func (p plan) pixels(srcW, srcH int) (peak, out int64) {
	rw, rh := p.resized(srcW, srcH)
	resized := int64(rw) * int64(rh)
	out = resized
	if p.boxW > 0 && p.boxH > 0 {
		out = int64(p.boxW) * int64(p.boxH)
	}
	return max(resized, out), out
}

// resized returns the size vips_thumbnail makes of a srcW×srcH source
// under p (for libvips' own crop: the cover size it crops from).
func (p plan) resized(srcW, srcH int) (int, int) {
	sx, sy := float64(p.thumbW)/float64(srcW), float64(p.thumbH)/float64(srcH)
	switch {
	case p.size == vips.SizeForce:
		return p.thumbW, p.thumbH
	case p.crop != vips.InterestingNone:
		return coverSize(srcW, srcH, p.thumbW, p.thumbH)
	}
	s := math.Min(sx, sy)
	if p.size == vips.SizeDown {
		s = math.Min(s, 1)
	}
	return max(int(math.Round(float64(srcW)*s)), 1), max(int(math.Round(float64(srcH)*s)), 1)
}

func coverPlan(p plan, srcW, srcH int, g transform.GravityKind, animated bool) plan {
	switch {
	case g == transform.GravityCenter && !animated:
		p.crop = vips.InterestingCentre
	case g == transform.GravitySmart && !animated:
		p.crop = vips.InterestingAttention
	default:
		p.boxW, p.boxH, p.extract = p.thumbW, p.thumbH, true
		p.thumbW, p.thumbH = coverSize(srcW, srcH, p.thumbW, p.thumbH)
		p.size = vips.SizeForce
	}
	return p
}

// sideFor returns the other side for one given side, keeping the source
// aspect ratio: round(given × num / den), within 1..MaxSide.
func sideFor(given, num, den int) int {
	s := int(math.Round(float64(given) * float64(num) / float64(den)))
	return min(max(s, 1), transform.MaxSide)
}

// coverSize returns the smallest size with the source aspect ratio that
// covers w×h, capped at MaxSide a side (then it may not quite cover).
func coverSize(srcW, srcH, w, h int) (int, int) {
	s := math.Max(float64(w)/float64(srcW), float64(h)/float64(srcH))
	s = math.Min(s, transform.MaxSide/float64(max(srcW, srcH)))
	cw := max(w, int(math.Ceil(float64(srcW)*s-1e-9)))
	ch := max(h, int(math.Ceil(float64(srcH)*s-1e-9)))
	return min(cw, transform.MaxSide), min(ch, transform.MaxSide)
}

// gravityOffset returns the top-left corner of a w×h window in an iw×ih
// image per gravity g.
func gravityOffset(iw, ih, w, h int, g transform.Gravity) (x, y int) {
	fx, fy := 0.5, 0.5
	switch g.Kind {
	case transform.GravityNorth:
		fy = 0
	case transform.GravitySouth:
		fy = 1
	case transform.GravityEast:
		fx = 1
	case transform.GravityWest:
		fx = 0
	case transform.GravityNorthEast:
		fx, fy = 1, 0
	case transform.GravityNorthWest:
		fx, fy = 0, 0
	case transform.GravitySouthEast:
		fx, fy = 1, 1
	case transform.GravitySouthWest:
		fx, fy = 0, 1
	case transform.GravityFocal:
		return focalOffset(iw, w, g.X), focalOffset(ih, h, g.Y)
	}
	return int(math.Round(float64(iw-w) * fx)), int(math.Round(float64(ih-h) * fy))
}

// focalOffset centres the window on the focal point f (0..1) as far as the
// image edges allow.
func focalOffset(size, window int, f float64) int {
	o := int(math.Round(f*float64(size) - float64(window)/2))
	return min(max(o, 0), size-window)
}
