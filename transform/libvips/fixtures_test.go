package libvips

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"math"
	"os"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"

	"pixcdn/transform"

	"pixcdn/internal/testimage"
)

// Fixtures are made by the tests themselves: a synthetic "photo" (gradients,
// a disc, a bright square, so crops, rotations and colour shifts change the
// hashes) encoded by libvips in the variant each test needs.

// pattern draws the test picture; phase shifts its content (animation frames).
func pattern(w, h, phase int, alpha bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy, r := float64(w)*0.35, float64(h)*0.5, float64(min(w, h))*0.3
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{R: uint8(255 * x / max(w, 1)), G: uint8(255 * y / max(h, 1)), B: 96, A: 255}
			if math.Hypot(float64(x)-cx-float64(phase*w/10), float64(y)-cy) < r {
				c = color.NRGBA{R: 200, G: 30, B: 40, A: 255}
			}
			if x > w*3/4 && y < h/4 {
				c = color.NRGBA{R: 250, G: 250, B: 210, A: 255}
			}
			if alpha && x < w/4 {
				c.A = uint8(255 * y / max(h, 1)) // a transparent-to-opaque band
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// load decodes b with libvips (lazily).
func load(t testing.TB, b []byte) *vips.ImageRef {
	t.Helper()
	img, err := vips.NewImageFromBuffer(b)
	if err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	return img
}

func exportJPEG(t testing.TB, img *vips.ImageRef, progressive bool) []byte {
	t.Helper()
	b, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 92, Interlace: progressive})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func photoJPEG(t testing.TB, w, h int, progressive bool) []byte {
	img := load(t, testimage.PNG(t, pattern(w, h, 0, false)))
	defer img.Close()
	return exportJPEG(t, img, progressive)
}

// exifRotatedJPEG stores the photo turned 90° counter-clockwise and tags it
// with orientation 6 (display turned 90° clockwise), so a correct decoder
// shows the upright photo.
func exifRotatedJPEG(t testing.TB, w, h int) []byte {
	img := load(t, testimage.PNG(t, pattern(w, h, 0, false)))
	defer img.Close()
	if err := img.Rotate(vips.Angle270); err != nil {
		t.Fatal(err)
	}
	return withOrientation(exportJPEG(t, img, false), 6)
}

// withOrientation inserts an APP1 Exif segment holding only the orientation.
func withOrientation(jpg []byte, o uint16) []byte {
	tiff := []byte("MM\x00*\x00\x00\x00\x08\x00\x01")
	entry := make([]byte, 12)
	binary.BigEndian.PutUint16(entry[0:], 0x0112)
	binary.BigEndian.PutUint16(entry[2:], 3)
	binary.BigEndian.PutUint32(entry[4:], 1)
	binary.BigEndian.PutUint16(entry[8:], o)
	payload := append(append(append([]byte("Exif\x00\x00"), tiff...), entry...), 0, 0, 0, 0)
	seg := binary.BigEndian.AppendUint16([]byte{0xff, 0xe1}, uint16(len(payload)+2))
	out := append(append([]byte{0xff, 0xd8}, seg...), payload...)
	return append(out, jpg[2:]...)
}

// cmykJPEG converts the photo to CMYK with libvips' built-in profile; with
// keepProfile false the profile is removed, so only the fallback can help.
func cmykJPEG(t testing.TB, w, h int, keepProfile bool) []byte {
	img := load(t, testimage.PNG(t, pattern(w, h, 0, false)))
	defer img.Close()
	if err := img.ToColorSpace(vips.InterpretationCMYK); err != nil {
		t.Fatal(err)
	}
	if !keepProfile {
		if err := img.RemoveICCProfile(); err != nil {
			t.Fatal(err)
		}
	}
	return exportJPEG(t, img, false)
}

// png16 is the photo as a 16-bit RGB PNG.
func png16(t testing.TB, w, h int) []byte {
	src := pattern(w, h, 0, false)
	img := image.NewRGBA64(src.Bounds())
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, src.At(x, y))
		}
	}
	return testimage.PNG(t, img)
}

func greyJPEG(t testing.TB, w, h int) []byte {
	img := load(t, testimage.PNG(t, pattern(w, h, 0, false)))
	defer img.Close()
	if err := img.ToColorSpace(vips.InterpretationBW); err != nil {
		t.Fatal(err)
	}
	return exportJPEG(t, img, false)
}

// animatedGIF has frames of the pattern with the disc moving, delays
// 40, 80, 120, … ms.
func animatedGIF(t testing.TB, w, h, frames int) []byte {
	var parts []*vips.ImageRef
	delays := make([]int, frames)
	for i := range frames {
		parts = append(parts, load(t, testimage.PNG(t, pattern(w, h, i, false))))
		delays[i] = 40 * (i + 1)
	}
	strip := parts[0]
	if err := strip.ArrayJoin(parts[1:], 1); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts[1:] {
		p.Close()
	}
	defer strip.Close()
	if err := strip.SetPageHeight(h); err != nil {
		t.Fatal(err)
	}
	if err := strip.SetPageDelay(delays); err != nil {
		t.Fatal(err)
	}
	// libvips keeps one error buffer for the process: a save that fails
	// while a parallel test provokes an error (a corrupt ICC profile) may
	// fail, or report that test's error. The fixture tries again.
	var err error
	for range 3 {
		var b []byte
		if b, _, err = strip.ExportGIF(vips.NewGifExportParams()); err == nil {
			return b
		}
	}
	t.Fatal(err)
	return nil
}

// bombPNG is a tiny PNG whose header declares w×h.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	writeChunk(&b, "IHDR", ihdr)
	writeChunk(&b, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	writeChunk(&b, "IEND", nil)
	return b.Bytes()
}

func writeChunk(b *bytes.Buffer, typ string, data []byte) {
	_ = binary.Write(b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	_ = binary.Write(b, binary.BigEndian, crc(append([]byte(typ), data...)))
}

// reencode is the 640×480 photo in another format (via the processor's
// encoder, no resize).
func reencode(t testing.TB, f transform.Format) []byte {
	p, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := p.Process(context.Background(), fixture(t, "photo"), transform.Options{Format: f, Quality: 90})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func animatedWebP(t testing.TB) []byte {
	p, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := p.Process(context.Background(), animatedGIF(t, 120, 80, 5), transform.Options{Format: transform.WebP})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readFile(t testing.TB, name string) []byte {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// brokenProfileJPEG is the photo with an APP2 ICC profile that lcms cannot
// parse.
func brokenProfileJPEG(t testing.TB, w, h int) []byte {
	jpg := photoJPEG(t, w, h, false)
	payload := append([]byte("ICC_PROFILE\x00\x01\x01"), bytes.Repeat([]byte("notaprofile"), 20)...)
	seg := binary.BigEndian.AppendUint16([]byte{0xff, 0xe2}, uint16(len(payload)+2))
	out := append(append([]byte{0xff, 0xd8}, seg...), payload...)
	return append(out, jpg[2:]...)
}
