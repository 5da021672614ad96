package libvips

import (
	"github.com/davidbyttow/govips/v2/vips"
)

// cropToBox cuts the cover box out of the resized image per gravity or
// focal point (libvips' own centre/attention crops happen in decode).
func cropToBox(j *job) error {
	if !j.plan.extract {
		return nil
	}
	iw, ih := j.img.Width(), j.img.PageHeight()
	w, h := min(j.plan.boxW, iw), min(j.plan.boxH, ih)
	x, y := gravityOffset(iw, ih, w, h, j.opts.Gravity)
	if err := j.img.ExtractArea(x, y, w, h); err != nil {
		return corrupt("crop", err)
	}
	return nil
}

// embedInBox letterboxes the resized image, centred, into the contain box,
// filling with the background colour (transparent where the output format
// keeps alpha and bg has alpha < 255).
func embedInBox(j *job) error {
	if !j.plan.embed {
		return nil
	}
	iw, ih := j.img.Width(), j.img.PageHeight()
	w, h := max(j.plan.boxW, iw), max(j.plan.boxH, ih)
	if w == iw && h == ih {
		return nil
	}
	bg := background(j.opts)
	if j.img.Bands() < 3 { // embed needs a background with the image's bands
		if err := j.img.ToColorSpace(vips.InterpretationSRGB); err != nil {
			return corrupt("embed", err)
		}
	}
	if bg.A < 255 && j.opts.Format.SupportsAlpha() && !j.img.HasAlpha() {
		if err := j.img.AddAlpha(); err != nil {
			return corrupt("embed", err)
		}
	}
	c := &vips.ColorRGBA{R: bg.R, G: bg.G, B: bg.B, A: bg.A}
	if err := j.img.EmbedBackgroundRGBA((w-iw)/2, (h-ih)/2, w, h, c); err != nil {
		return corrupt("embed", err)
	}
	return nil
}
