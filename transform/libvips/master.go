package libvips

import (
	"context"
	"fmt"
	"math"

	"github.com/davidbyttow/govips/v2/vips"

	"pixcdn/transform"
)

var (
	_ transform.MasterProcessor = (*Processor)(nil)
	_ transform.SourceProcessor = (*Processor)(nil)
)

// masterPipeline makes a working master: vips_thumbnail to the bound
// (shrink-on-load, EXIF orientation applied, Lanczos 3 reduce), ICC → sRGB,
// then encodeMaster.
var masterPipeline = []step{
	{"decode", decode},
	{"colour", toSRGB},
	{"encode", encodeMaster},
}

// MakeMaster implements transform.MasterProcessor. The master is a
// baseline JPEG at Config.MasterQuality without chroma subsampling (libjpeg
// shrinks it on load by 2, 4 or 8 in the DCT, so a variant decodes a
// fraction of its pixels), or a PNG at zlib level 1 when the source has
// alpha; metadata is stripped (its pixels are sRGB). docs/benchmarks.md,
// "Working masters", has the measurements behind these choices.
func (p *Processor) MakeMaster(ctx context.Context, src transform.Source, bound int) ([]byte, transform.Meta, error) {
	return p.execute(ctx, func() (*job, error) {
		if bound < 1 || bound > transform.MaxSide {
			return nil, &transform.OptionError{Param: "bound", Reason: fmt.Sprintf("must be 1..%d", transform.MaxSide)}
		}
		in, err := p.admitSource(src)
		if err != nil {
			return nil, err
		}
		if in.Frames > 1 || max(in.Width, in.Height) <= bound {
			return nil, transform.ErrNoMaster
		}
		o := transform.Options{Width: bound, Height: bound, Format: transform.JPEG}
		if in.HasAlpha {
			o.Format = transform.PNG
		}
		j := &job{ctx: ctx, cfg: &p.cfg, src: src.Bytes(), in: in, opts: o, steps: masterPipeline}
		w, h := masterSize(in.Width, in.Height, bound)
		j.plan = plan{thumbW: w, thumbH: h, size: vips.SizeForce}
		return j, nil
	})
}

// masterSize is the size of the master of a w×h original: the long side
// bound, the short side in proportion rounded to a multiple of 8 (the
// aspect ratio changes by at most 4 pixels on the short side). With both
// sides multiples of 8, libjpeg's shrink-on-load by 2, 4 or 8 maps whole
// blocks onto whole pixels, so a variant made from the master samples the
// same points of the picture as one made from the original; a partial
// block at an edge shifts the picture by a fraction of a pixel and costs
// small variants up to 15 dB of PSNR (docs/benchmarks.md, "Working
// masters"). Variants are resized to the original's proportions, which
// undoes the rounding.
func masterSize(w, h, bound int) (int, int) {
	long, short := max(w, h), min(w, h)
	s := max(int(math.Round(float64(short)*float64(bound)/float64(long)/8))*8, 8)
	if w >= h {
		return bound, s
	}
	return s, bound
}

// encodeMaster writes the master (see MakeMaster).
func encodeMaster(j *job) error {
	var (
		out []byte
		err error
	)
	if j.opts.Format == transform.PNG {
		p := vips.NewPngExportParams()
		p.StripMetadata, p.Compression = true, 1
		out, _, err = j.img.ExportPng(p)
	} else {
		out, _, err = j.img.ExportJpeg(&vips.JpegExportParams{
			StripMetadata: true, Quality: j.cfg.MasterQuality, OptimizeCoding: true,
			SubsampleMode: vips.VipsForeignSubsampleOff,
		})
	}
	if err != nil {
		return corrupt("encode", err)
	}
	j.out = out
	j.meta = outputMeta(j, out)
	return nil
}

// MasterFits implements transform.MasterProcessor: the image vips_thumbnail
// makes for opts from the original (before any crop or embed) is no larger
// than the master. A variant at the master's own size or close to it is
// resampled twice, which the fidelity test bounds (master_test.go).
func (p *Processor) MasterFits(orig, master transform.Size, opts transform.Checked) bool {
	if orig.W < 1 || orig.H < 1 {
		return false
	}
	pl := newPlan(orig.W, orig.H, opts.Options(), false)
	w, h := pl.resized(orig.W, orig.H)
	return w <= master.W && h <= master.H
}

// ProcessMaster implements transform.MasterProcessor.
func (p *Processor) ProcessMaster(ctx context.Context, master transform.Source, orig transform.Size, opts transform.Checked) ([]byte, transform.Meta, error) {
	return p.execute(ctx, func() (*job, error) { return p.newJob(ctx, master, opts, &orig) })
}
