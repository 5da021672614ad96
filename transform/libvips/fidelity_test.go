package libvips

import (
	"bytes"
	"image"
	"math"
	"sync"
	"testing"

	"pixcdn/transform"
)

var jxlLoaderOnce sync.Once

// allowJXLLoader unblocks libvips' JPEG XL loader in the test binary only, so
// tests can decode the JPEG XL outputs they check. Processors still refuse
// JPEG XL sources (see TestJXLSourceIsRefused).
func allowJXLLoader(t testing.TB) {
	jxlLoaderOnce.Do(func() {
		if err := startup(); err != nil {
			t.Fatal(err)
		}
		setBlocked("VipsForeignLoadJxl", false)
	})
}

// decodeRGB decodes an output with libvips, flattened onto white.
func decodeRGB(t testing.TB, out []byte) *image.NRGBA {
	t.Helper()
	img := load(t, out)
	defer img.Close()
	return flattenedRGB(t, img)
}

// psnr is the peak signal-to-noise ratio in dB over the RGB channels of two
// images of the same size.
func psnr(t testing.TB, a, b *image.NRGBA) float64 {
	t.Helper()
	if a.Bounds() != b.Bounds() {
		t.Fatalf("psnr: sizes %v and %v", a.Bounds(), b.Bounds())
	}
	var se float64
	for i := 0; i < len(a.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			d := float64(a.Pix[i+c]) - float64(b.Pix[i+c])
			se += d * d
		}
	}
	mse := se / float64(len(a.Pix)/4*3)
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}

// TestLossyFidelity decodes every lossy output of the photo and the alpha
// fixture at its default quality and compares it with the lossless (PNG)
// result of the same options: JPEG XL must be as faithful as the formats
// browsers already get.
func TestLossyFidelity(t *testing.T) {
	allowJXLLoader(t)
	p := newTestProcessor(t, nil)
	const minPSNR = 32 // dB against the lossless result
	for _, fix := range []string{"photo", "alpha"} {
		ref, _ := process(t, p, fixture(t, fix), "w=320&fm=png")
		want := decodeRGB(t, ref)
		for _, f := range []transform.Format{transform.JXL, transform.AVIF, transform.WebP, transform.JPEG} {
			out, m := process(t, p, fixture(t, fix), "w=320&fm="+f.String())
			got := decodeRGB(t, out)
			if db := psnr(t, got, want); db < minPSNR {
				t.Errorf("%s → %v: PSNR %.1f dB, want ≥ %d", fix, f, db, minPSNR)
			}
			if m.Format != f || m.Width != 320 || m.Bytes != len(out) {
				t.Errorf("%s → %v: Meta %+v (%d bytes)", fix, f, m, len(out))
			}
			if alpha := fix == "alpha" && f.SupportsAlpha(); m.HasAlpha != alpha {
				t.Errorf("%s → %v: HasAlpha %v, want %v", fix, f, m.HasAlpha, alpha)
			}
		}
	}
}

// TestJXLOutput checks the container of a JPEG XL result: a bare codestream,
// one frame of an animation, quality that changes the size.
func TestJXLOutput(t *testing.T) {
	allowJXLLoader(t)
	p := newTestProcessor(t, nil)
	out, m := process(t, p, fixture(t, "photo"), "w=200&fm=jxl")
	if !bytes.HasPrefix(out, []byte{0xff, 0x0a}) || m.Format != transform.JXL || m.Frames != 1 {
		t.Errorf("photo: % x…, Meta %+v", out[:min(len(out), 4)], m)
	}
	anim, m := process(t, p, fixture(t, "anim"), "w=60&fm=jxl")
	if m.Frames != 1 || m.Width != 60 || len(anim) == 0 {
		t.Errorf("animation: Meta %+v, want its first frame", m)
	}
	low, _ := process(t, p, fixture(t, "photo"), "w=200&fm=jxl&q=30")
	high, _ := process(t, p, fixture(t, "photo"), "w=200&fm=jxl&q=95")
	if len(low) >= len(out) || len(out) >= len(high) {
		t.Errorf("q=30, default, q=95 gave %d, %d, %d bytes: quality is not applied", len(low), len(out), len(high))
	}
}
