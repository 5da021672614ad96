package libvips

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"pixcdn/transform"
)

// masterBound is the default --master-bound, for the corpus benchmarks
// and tests.
const masterBound = 2048

// largeCorpus returns the corpus photos (JPEG and PNG) whose long side is
// above masterBound: those that get a master.
func largeCorpus(tb testing.TB) [][]byte {
	var large [][]byte
	for _, ext := range []string{".jpg", ".png"} {
		for _, src := range corpusFiles(tb, ext) {
			if m, err := transform.Probe(src); err == nil && max(m.Width, m.Height) > masterBound {
				large = append(large, src)
			}
		}
	}
	if len(large) == 0 {
		tb.Fatal("no corpus photo is larger than the master bound")
	}
	return large
}

// BenchmarkMaster measures, over the corpus photos larger than the bound,
// making their masters (make) and making a 300-800 px WebP variant of each
// from the original and from its master (variant/from=…). One iteration
// does every photo once (a width per iteration, in turn), so every
// sub-benchmark weighs the same photos alike; ms/image is the mean per
// photo. docs/benchmarks.md, "Working masters", has the figures.
func BenchmarkMaster(b *testing.B) {
	files := largeCorpus(b)
	p := newTestProcessor(b, func(c *Config) { c.Workers = 1 })
	ctx := context.Background()
	perImage := func(b *testing.B, elapsed time.Duration, iterations int) {
		b.ReportMetric(ms(elapsed)/float64(iterations*len(files)), "ms/image")
	}
	b.Run("make", func(b *testing.B) {
		start, n := time.Now(), 0
		for ; b.Loop(); n++ {
			for _, src := range files {
				if _, _, err := p.MakeMaster(ctx, probed(b, src), masterBound); err != nil {
					b.Fatal(err)
				}
			}
		}
		perImage(b, time.Since(start), n)
	})
	masters := make([][]byte, len(files))
	sizes := make([]transform.Size, len(files))
	for i, src := range files {
		m, _ := transform.Probe(src)
		sizes[i] = transform.Size{W: m.Width, H: m.Height}
		var err error
		if masters[i], _, err = p.MakeMaster(ctx, probed(b, src), masterBound); err != nil {
			b.Fatal(err)
		}
	}
	widths := []int{300, 380, 460, 540, 620, 700, 800}
	for _, from := range []string{"original", "master"} {
		b.Run("variant/from="+from, func(b *testing.B) {
			start, n := time.Now(), 0
			for ; b.Loop(); n++ {
				o := transform.Options{Width: widths[n%len(widths)], Format: transform.WebP}
				for k := range files {
					var err error
					if from == "master" {
						_, _, err = p.ProcessMaster(ctx, probed(b, masters[k]), sizes[k], checked(b, o))
					} else {
						_, _, err = p.Process(ctx, files[k], o)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			perImage(b, time.Since(start), n)
		})
	}
}

// masterEncoding is a candidate master encoding for
// BenchmarkMasterEncoding.
type masterEncoding struct {
	name   string
	encode func(*vips.ImageRef) ([]byte, error)
}

func jpegMaster(q int, subsample vips.SubsampleMode) func(*vips.ImageRef) ([]byte, error) {
	return func(img *vips.ImageRef) ([]byte, error) {
		out, _, err := img.ExportJpeg(&vips.JpegExportParams{StripMetadata: true, Quality: q, OptimizeCoding: true, SubsampleMode: subsample})
		return out, err
	}
}

func webpMaster(q int, lossless bool) func(*vips.ImageRef) ([]byte, error) {
	return func(img *vips.ImageRef) ([]byte, error) {
		out, _, err := img.ExportWebp(&vips.WebpExportParams{StripMetadata: true, Quality: q, Lossless: lossless, ReductionEffort: 2})
		return out, err
	}
}

func pngMaster(img *vips.ImageRef) ([]byte, error) {
	p := vips.NewPngExportParams()
	p.StripMetadata, p.Compression = true, 1
	out, _, err := img.ExportPng(p)
	return out, err
}

var masterEncodings = []masterEncoding{
	{"jpeg-q90-444", jpegMaster(90, vips.VipsForeignSubsampleOff)},
	{"jpeg-q93-444", jpegMaster(93, vips.VipsForeignSubsampleOff)},
	{"jpeg-q95-444", jpegMaster(95, vips.VipsForeignSubsampleOff)},
	{"jpeg-q95-420", jpegMaster(95, vips.VipsForeignSubsampleOn)},
	{"webp-q95", webpMaster(95, false)},
	{"webp-lossless", webpMaster(100, true)},
	{"png-z1", pngMaster},
}

// makeMasterAs makes src's master as MakeMaster does, encoded by enc.
func makeMasterAs(p *Processor, src []byte, enc func(*vips.ImageRef) ([]byte, error)) ([]byte, error) {
	out, _, err := p.execute(context.Background(), func() (*job, error) {
		in, err := p.probe(src)
		if err != nil {
			return nil, err
		}
		o := transform.Options{Width: masterBound, Height: masterBound, Format: transform.PNG}
		encodeAs := step{"encode", func(j *job) error {
			out, err := enc(j.img)
			j.out, j.meta = out, transform.Meta{Bytes: len(out)}
			return err
		}}
		j := &job{cfg: &p.cfg, src: src, in: in, opts: o, steps: []step{{"decode", decode}, {"colour", toSRGB}, encodeAs}}
		w, h := masterSize(in.Width, in.Height, masterBound)
		j.plan = plan{thumbW: w, thumbH: h, size: vips.SizeForce}
		return j, nil
	})
	return out, err
}

// BenchmarkMasterEncoding compares master encodings over the corpus photos
// larger than the bound (one photo per iteration: run it with -benchtime
// set to their number): the time to make the master (make-ms) and its size
// (master-KB); for variants of widths 100, 400, 800 and 1600, the time to
// make a WebP from the master (variant-ms) against the original
// (orig-variant-ms), the PSNR of a PNG made from the master against one
// made from the original (psnr-min-dB, psnr-mean-dB), and the size of the
// default-quality WebP and JPEG from the master over those from the
// original (size-ratio, mean).
func BenchmarkMasterEncoding(b *testing.B) {
	files := largeCorpus(b)
	p := newTestProcessor(b, func(c *Config) { c.Workers = 1 })
	ctx := context.Background()
	widths := []int{100, 400, 800, 1600}
	for _, enc := range masterEncodings {
		b.Run("enc="+enc.name, func(b *testing.B) {
			var makeT, varT, origT time.Duration
			var masterBytes, variants, images int
			var psnrs, ratios []float64
			for i := 0; b.Loop(); i++ {
				src := files[(i*7)%len(files)] // spread over JPEGs and PNGs
				m, _ := transform.Probe(src)
				orig := transform.Size{W: m.Width, H: m.Height}
				start := time.Now()
				master, err := makeMasterAs(p, src, enc.encode)
				if err != nil {
					b.Fatal(err)
				}
				makeT += time.Since(start)
				masterBytes += len(master)
				images++
				for _, w := range widths {
					webp := transform.Options{Width: w, Format: transform.WebP}
					start = time.Now()
					fromMaster, _, err := p.ProcessMaster(ctx, probed(b, master), orig, checked(b, webp))
					varT += time.Since(start)
					if err != nil {
						b.Fatal(err)
					}
					start = time.Now()
					fromOrig, _, err := p.Process(ctx, src, webp)
					origT += time.Since(start)
					if err != nil {
						b.Fatal(err)
					}
					variants++
					jpeg := webp
					jpeg.Format = transform.JPEG
					jm, _, err1 := p.ProcessMaster(ctx, probed(b, master), orig, checked(b, jpeg))
					jo, _, err2 := p.Process(ctx, src, jpeg)
					if err1 != nil || err2 != nil {
						b.Fatal(err1, err2)
					}
					ratios = append(ratios, float64(len(fromMaster))/float64(len(fromOrig)), float64(len(jm))/float64(len(jo)))
					psnrs = append(psnrs, masterPSNR(b, p, src, master, orig, w))
				}
			}
			b.ReportMetric(ms(makeT)/float64(images), "make-ms")
			b.ReportMetric(float64(masterBytes)/float64(images)/1024, "master-KB")
			b.ReportMetric(ms(varT)/float64(variants), "variant-ms")
			b.ReportMetric(ms(origT)/float64(variants), "orig-variant-ms")
			b.ReportMetric(slices.Min(psnrs), "psnr-min-dB")
			b.ReportMetric(mean(psnrs), "psnr-mean-dB")
			b.ReportMetric(mean(ratios), "size-ratio")
		})
	}
}

// masterPSNR is the PSNR of the w px PNG made from master against the one
// made from src, the original.
func masterPSNR(tb testing.TB, p *Processor, src, master []byte, orig transform.Size, w int) float64 {
	o := transform.Options{Width: w, Format: transform.PNG}
	fromOrig, _, err := p.Process(context.Background(), src, o)
	if err != nil {
		tb.Fatal(err)
	}
	fromMaster, _, err := p.ProcessMaster(context.Background(), probed(tb, master), orig, checked(tb, o))
	if err != nil {
		tb.Fatal(err)
	}
	return vipsPSNR(tb, fromMaster, fromOrig)
}

// vipsPSNR is the PSNR in dB of two encoded images of the same size over
// their colour bands (alpha flattened onto white), computed with libvips
// arithmetic: a per-pixel loop in Go is slow under the race detector.
func vipsPSNR(tb testing.TB, a, b []byte) float64 {
	tb.Helper()
	x, y := load(tb, a), load(tb, b)
	defer x.Close()
	defer y.Close()
	if x.Width() != y.Width() || x.Height() != y.Height() {
		tb.Fatalf("psnr: sizes %d×%d and %d×%d", x.Width(), x.Height(), y.Width(), y.Height())
	}
	for _, img := range []*vips.ImageRef{x, y} {
		if img.HasAlpha() {
			if err := img.Flatten(&vips.Color{R: 255, G: 255, B: 255}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := x.Cast(vips.BandFormatFloat); err != nil {
		tb.Fatal(err)
	}
	if err := x.Subtract(y); err != nil {
		tb.Fatal(err)
	}
	if err := x.Multiply(x); err != nil {
		tb.Fatal(err)
	}
	mse, err := x.Average()
	if err != nil {
		tb.Fatal(err)
	}
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
