package libvips

import (
	"fmt"
	"image"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"

	"pixcdn/transform"

	"pixcdn/internal/testenv"
)

// tradeoffSetting is one encoder setting BenchmarkFormatTradeoff measures.
type tradeoffSetting struct {
	format          transform.Format
	quality, effort int
}

// BenchmarkFormatTradeoff measures what FormatOrder trades: for each lossy
// encoder at several settings, over the corpus JPEGs already resized to 400
// px wide and held in memory (so only the encoder is timed), the mean output
// bytes, the encode time, the fidelity (PSNR against the resized source,
// decoded by libvips) and bytes × encode CPU ms (process CPU time, which
// a busy shared machine distorts less than wall time). Run it with -benchtime Nx,
// N = the number of corpus JPEGs; see docs/benchmarks.md, "JPEG XL".
func BenchmarkFormatTradeoff(b *testing.B) {
	allowJXLLoader(b)
	newTestProcessor(b, nil)
	refs, imgs := tradeoffSources(b, 400)
	settings := []tradeoffSetting{{transform.JPEG, 80, 0}}
	for _, q := range []int{75, 80, 85} {
		settings = append(settings, tradeoffSetting{transform.WebP, q, 2})
	}
	for _, q := range []int{55, 60, 65} {
		settings = append(settings, tradeoffSetting{transform.AVIF, q, 0})
	}
	for _, e := range []int{3, 5, 7} {
		for _, q := range []int{68, 75, 80, 85} {
			settings = append(settings, tradeoffSetting{transform.JXL, q, e})
		}
	}
	for _, s := range settings {
		b.Run(fmt.Sprintf("fm=%v/q=%d/effort=%d", s.format, s.quality, s.effort), func(b *testing.B) {
			benchTradeoff(b, s, refs, imgs)
		})
	}
}

func benchTradeoff(b *testing.B, s tradeoffSetting, refs []*image.NRGBA, imgs []*vips.ImageRef) {
	cfg := DefaultConfig()
	cfg.JPEGQuality, cfg.WebPQuality, cfg.AVIFQuality, cfg.JXLQuality = s.quality, s.quality, s.quality, s.quality
	cfg.WebPEffort, cfg.AVIFEffort, cfg.JXLEffort = s.effort, s.effort, s.effort
	outs := make([][]byte, len(imgs))
	cpu0 := testenv.CPUTime()
	for i := 0; b.Loop(); i++ {
		j := &job{cfg: &cfg, img: imgs[i%len(imgs)], opts: transform.Options{Format: s.format}}
		if err := encodeOnly(j); err != nil {
			b.Fatal(err)
		}
		outs[i%len(imgs)] = j.out
	}
	var bytes, db float64
	n := 0
	for i, out := range outs {
		if out != nil {
			bytes += float64(len(out))
			db += psnr(b, decodeRGB(b, out), refs[i])
			n++
		}
	}
	ms := float64((testenv.CPUTime() - cpu0).Microseconds()) / 1000 / float64(b.N)
	bytes, db = bytes/float64(n), db/float64(n)
	b.ReportMetric(bytes, "out-B")
	b.ReportMetric(ms, "encode-cpu-ms")
	b.ReportMetric(db, "PSNR-dB")
	b.ReportMetric(bytes*ms/1000, "KB×ms")
}

// encodeOnly runs the encode step without the output probe.
func encodeOnly(j *job) error {
	c := j.cfg
	var err error
	switch j.opts.Format {
	case transform.JXL:
		j.out, err = exportJXL(j.img, c.JXLQuality, c.JXLEffort)
	case transform.AVIF:
		j.out, err = exportAVIF(j.img, c.AVIFQuality, c.AVIFEffort)
	default:
		err = encode(j)
	}
	return err
}

// tradeoffSources resizes every corpus JPEG to width px wide and returns it
// both as Go pixels (the reference) and as a libvips image in memory.
func tradeoffSources(b *testing.B, width int) ([]*image.NRGBA, []*vips.ImageRef) {
	var refs []*image.NRGBA
	var imgs []*vips.ImageRef
	for _, src := range corpusFiles(b, ".jpg") {
		thumb, err := vips.NewThumbnailWithSizeFromBuffer(src, width, transform.MaxSide, vips.InterestingNone, vips.SizeDown)
		if err != nil {
			b.Fatal(err)
		}
		ref := flattenedRGB(b, thumb)
		thumb.Close()
		img, err := vips.NewImageFromGoImage(ref)
		if err == nil {
			err = img.ExtractBand(0, 3)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(img.Close)
		refs, imgs = append(refs, ref), append(imgs, img)
	}
	if len(imgs) == 0 {
		b.Skip("no corpus JPEGs")
	}
	return refs, imgs
}
