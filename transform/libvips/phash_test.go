package libvips

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"

	"pixcdn/transform"
)

// describe decodes an output with libvips and records its perceptual hash,
// mean colour, colour bands and frame delays.
func describe(t testing.TB, out []byte, m transform.Meta) goldenResult {
	t.Helper()
	img := load(t, out)
	defer img.Close()
	r := goldenResult{Meta: m, Bands: img.Bands()}
	if img.HasAlpha() {
		r.Bands--
	}
	if m.Frames > 1 {
		r.Delays = frameDelays(t, out)
	}
	rgb := flattenedRGB(t, img)
	r.Hash = fmt.Sprintf("%016x", dHash(rgb))
	r.Mean = meanRGB(rgb)
	return r
}

func frameDelays(t testing.TB, out []byte) []int {
	p := vips.NewImportParams()
	p.NumPages.Set(-1)
	img, err := vips.LoadImageFromBuffer(out, p)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	d, err := img.PageDelay()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// flattenedRGB returns the first frame as 8-bit sRGB flattened onto white.
func flattenedRGB(t testing.TB, img *vips.ImageRef) *image.NRGBA {
	if img.HasAlpha() {
		if err := img.Flatten(&vips.Color{R: 255, G: 255, B: 255}); err != nil {
			t.Fatal(err)
		}
	}
	if err := img.ToColorSpace(vips.InterpretationSRGB); err != nil {
		t.Fatal(err)
	}
	b, _, err := img.ExportPng(nil)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewNRGBA(dec.Bounds())
	for y := dec.Bounds().Min.Y; y < dec.Bounds().Max.Y; y++ {
		for x := dec.Bounds().Min.X; x < dec.Bounds().Max.X; x++ {
			out.Set(x, y, dec.At(x, y))
		}
	}
	return out
}

// dHash is the difference hash: luma averaged over a 9×8 grid of boxes, one
// bit per horizontally adjacent pair.
func dHash(img *image.NRGBA) uint64 {
	const gw, gh = 9, 8
	var sum [gh][gw]float64
	var n [gh][gw]int
	b := img.Bounds()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := img.NRGBAAt(x, y)
			gy, gx := y*gh/b.Dy(), x*gw/b.Dx()
			sum[gy][gx] += 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)
			n[gy][gx]++
		}
	}
	var h uint64
	for y := 0; y < gh; y++ {
		for x := 0; x < gw-1; x++ {
			h <<= 1
			if avg(sum[y][x], n[y][x]) > avg(sum[y][x+1], n[y][x+1]) {
				h |= 1
			}
		}
	}
	return h
}

func avg(s float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

func meanRGB(img *image.NRGBA) [3]float64 {
	var s [3]float64
	px := img.Bounds().Dx() * img.Bounds().Dy()
	for i := 0; i < len(img.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			s[c] += float64(img.Pix[i+c])
		}
	}
	for c := range s {
		s[c] = float64(int(s[c]/float64(px)*10)) / 10
	}
	return s
}
