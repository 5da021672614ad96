package libvips

import (
	"errors"

	"github.com/davidbyttow/govips/v2/vips"

	"pixcdn/transform"
)

// encode writes the image in the requested format with metadata stripped:
// progressive JPEG with optimised Huffman tables, PNG, WebP, AVIF (8-bit,
// low effort for the cold path), JPEG XL (8-bit, lossy), GIF. Animations keep
// frames and delays for WebP and GIF; the other formats get the first frame.
func encode(j *job) error {
	var (
		out []byte
		err error
	)
	c := j.cfg
	switch j.opts.Format {
	case transform.JPEG:
		out, _, err = j.img.ExportJpeg(&vips.JpegExportParams{
			StripMetadata: true, Quality: quality(j.opts, c.JPEGQuality),
			Interlace: true, OptimizeCoding: true, SubsampleMode: vips.VipsForeignSubsampleAuto,
		})
	case transform.PNG:
		p := vips.NewPngExportParams()
		p.StripMetadata, p.Compression = true, c.PNGCompression
		out, _, err = j.img.ExportPng(p)
	case transform.WebP:
		out, _, err = j.img.ExportWebp(&vips.WebpExportParams{
			StripMetadata: true, Quality: quality(j.opts, c.WebPQuality), ReductionEffort: c.WebPEffort,
		})
	case transform.AVIF:
		out, err = exportAVIF(j.img, quality(j.opts, c.AVIFQuality), c.AVIFEffort)
	case transform.JXL:
		out, err = exportJXL(j.img, quality(j.opts, c.JXLQuality), c.JXLEffort)
	case transform.GIF:
		p := vips.NewGifExportParams()
		p.StripMetadata, p.Effort = true, c.GIFEffort
		out, _, err = j.img.ExportGIF(p)
	default:
		return unsupported("encode", errors.New("format not writable: "+j.opts.Format.String()))
	}
	if err != nil {
		return corrupt("encode", err)
	}
	j.out = out
	j.meta = outputMeta(j, out)
	return nil
}

func quality(o transform.Options, def int) int {
	if o.Quality > 0 {
		return o.Quality
	}
	return def
}

// outputMeta describes the encoded bytes. It reads them back with
// transform.Probe (so Meta is what any client will see), falling back to the
// image's own figures should the probe disagree.
func outputMeta(j *job, out []byte) transform.Meta {
	if m, err := transform.Probe(out); err == nil && m.Format == j.opts.Format {
		return m
	}
	return transform.Meta{
		Width: j.img.Width(), Height: j.img.PageHeight(), Format: j.opts.Format,
		Bytes: len(out), HasAlpha: j.img.HasAlpha() && j.opts.Format.SupportsAlpha(), Frames: j.frames(),
	}
}
