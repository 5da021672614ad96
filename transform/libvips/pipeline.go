package libvips

import (
	"context"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"pixcdn/transform"
)

// job is the state of one transform as it moves through the steps. It is
// owned by one goroutine.
type job struct {
	ctx      context.Context
	cfg      *Config
	src      []byte
	in       transform.Meta    // the probed source
	opts     transform.Options // normalized; Format is concrete
	animated bool              // keep every frame (source animated, output WebP or GIF)
	plan     plan
	img      *vips.ImageRef // current image; closed by close
	out      []byte
	meta     transform.Meta
	observe  transform.StepObserver // nil unless the caller observes steps
	steps    []step                 // pipeline, or masterPipeline
	// fromMaster: src is a working master, not the original (never
	// served in place of the variant: see preferSource).
	fromMaster bool
}

// step is one stage of the pipeline; it replaces j.img or fills j.out.
type step struct {
	name string
	run  func(*job) error
}

// pipeline is the ordered list of steps; the context is checked between
// them. libvips evaluates lazily, so most pixel work happens in encode.
var pipeline = []step{
	{"decode", decode},         // shrink-on-load, auto-orient, resize (step_decode.go)
	{"crop", cropToBox},        // gravity / focal point extract for cover (step_crop.go)
	{"colour", toSRGB},         // ICC → sRGB, CMYK, 16 → 8 bit (step_colour.go)
	{"embed", embedInBox},      // contain letterbox (step_crop.go)
	{"blur", blur},             // (step_effects.go)
	{"sharpen", sharpen},       // (step_effects.go)
	{"rotate", rotate},         // (step_orient.go)
	{"flip", flip},             // (step_orient.go)
	{"flatten", flatten},       // alpha onto bg for formats without alpha (step_colour.go)
	{"encode", encode},         // (step_encode.go)
	{"original", preferSource}, // serve the source if it is smaller (step_original.go)
}

// run executes the pipeline.
func (j *job) run() error {
	defer j.close()
	for _, s := range j.steps {
		if err := j.ctx.Err(); err != nil {
			return err
		}
		var start time.Time
		if j.observe != nil {
			start = time.Now()
		}
		if err := s.run(j); err != nil {
			return err
		}
		if j.observe != nil {
			j.observe(s.name, time.Since(start))
		}
	}
	return nil
}

// replace swaps in a new current image, closing the old one.
func (j *job) replace(img *vips.ImageRef) {
	if j.img != nil && j.img != img {
		j.img.Close()
	}
	j.img = img
}

func (j *job) close() {
	if j.img != nil {
		j.img.Close()
		j.img = nil
	}
}

// frames returns the number of frames of the current image.
func (j *job) frames() int {
	if h := j.img.PageHeight(); h > 0 && j.img.Height() > h {
		return j.img.Height() / h
	}
	return 1
}
