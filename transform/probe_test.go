package transform

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"pixcdn/internal/testimage"
)

// withExifOrientation inserts an APP1 Exif segment (little-endian TIFF, one
// IFD0 entry) after the SOI of a JPEG.
func withExifOrientation(jpg []byte, orientation uint16) []byte {
	tiff := []byte("II*\x00\x08\x00\x00\x00\x01\x00")
	entry := make([]byte, 12)
	binary.LittleEndian.PutUint16(entry[0:], 0x0112)
	binary.LittleEndian.PutUint16(entry[2:], 3)
	binary.LittleEndian.PutUint32(entry[4:], 1)
	binary.LittleEndian.PutUint16(entry[8:], orientation)
	payload := append(append(append([]byte("Exif\x00\x00"), tiff...), entry...), 0, 0, 0, 0)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{0xff, 0xd8}, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// pngBomb is a valid-looking PNG header declaring w×h with one tiny IDAT.
func pngBomb(w, h uint32) []byte {
	b := append([]byte{}, pngSignature...)
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	b = appendChunk(b, "IHDR", ihdr)
	b = appendChunk(b, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	return appendChunk(b, "IEND", nil)
}

func appendChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(append(b, typ...), data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

func animatedGIF(t testing.TB, frames int, transparent bool) []byte {
	g := &gif.GIF{}
	for i := 0; i < frames; i++ {
		p := image.NewPaletted(image.Rect(0, 0, 6, 4), palette.Plan9)
		p.SetColorIndex(i%6, 1, uint8(i))
		g.Image = append(g.Image, p)
		g.Delay = append(g.Delay, 10)
		g.Disposal = append(g.Disposal, gif.DisposalNone)
	}
	if transparent {
		g.Image[0].Palette = append(color.Palette{color.Transparent}, palette.Plan9[1:]...)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readTestdata(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProbe(t *testing.T) {
	rgb := image.NewRGBA(image.Rect(0, 0, 7, 3))
	for i := range rgb.Pix {
		rgb.Pix[i] = 255
	}
	nrgba := image.NewNRGBA(image.Rect(0, 0, 5, 2))
	gray16 := image.NewGray16(image.Rect(0, 0, 9, 4))
	pal := image.NewPaletted(image.Rect(0, 0, 3, 3), color.Palette{color.Transparent, color.Black})
	jpg := testimage.JPEG(t, image.NewGray(image.Rect(0, 0, 8, 5)), jpeg.DefaultQuality)
	cases := []struct {
		name string
		src  []byte
		want Meta
	}{
		{"png rgb", testimage.PNG(t, rgb), Meta{Width: 7, Height: 3, Format: PNG, Frames: 1}},
		{"png rgba", testimage.PNG(t, nrgba), Meta{Width: 5, Height: 2, Format: PNG, Frames: 1, HasAlpha: true}},
		{"png gray16", testimage.PNG(t, gray16), Meta{Width: 9, Height: 4, Format: PNG, Frames: 1}},
		{"png tRNS", testimage.PNG(t, pal), Meta{Width: 3, Height: 3, Format: PNG, Frames: 1, HasAlpha: true}},
		{"png bomb", pngBomb(50000, 50000), Meta{Width: 50000, Height: 50000, Format: PNG, Frames: 1}},
		{"jpeg", jpg, Meta{Width: 8, Height: 5, Format: JPEG, Frames: 1}},
		{"jpeg exif 6", withExifOrientation(jpg, 6), Meta{Width: 5, Height: 8, Format: JPEG, Frames: 1, Orientation: 6}},
		{"jpeg exif 3", withExifOrientation(jpg, 3), Meta{Width: 8, Height: 5, Format: JPEG, Frames: 1, Orientation: 3}},
		{"gif anim", animatedGIF(t, 7, false), Meta{Width: 6, Height: 4, Format: GIF, Frames: 7}},
		{"gif transparent", animatedGIF(t, 1, true), Meta{Width: 6, Height: 4, Format: GIF, Frames: 1, HasAlpha: true}},
		{"webp lossy", readTestdata(t, "lossy.webp"), Meta{Width: 40, Height: 30, Format: WebP, Frames: 1}},
		{"webp lossless alpha", readTestdata(t, "alpha.webp"), Meta{Width: 40, Height: 30, Format: WebP, Frames: 1, HasAlpha: true}},
		{"avif", readTestdata(t, "still.avif"), Meta{Width: 40, Height: 30, Format: AVIF, Frames: 1}},
		{"avif alpha", readTestdata(t, "alpha.avif"), Meta{Width: 40, Height: 30, Format: AVIF, Frames: 1, HasAlpha: true}},
		{"heic", readTestdata(t, "still.heic"), Meta{Width: 40, Height: 30, Format: HEIF, Frames: 1}},
	}
	for _, c := range cases {
		got, err := Probe(c.src)
		c.want.Bytes = len(c.src)
		if err != nil || got != c.want {
			t.Errorf("%s: Probe = %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
}

func TestProbeRejects(t *testing.T) {
	jpg := testimage.JPEG(t, image.NewGray(image.Rect(0, 0, 8, 5)), jpeg.DefaultQuality)
	cases := []struct {
		name string
		src  []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`), ErrUnsupported},
		{"tiff", []byte("II*\x00\x08\x00\x00\x00"), ErrUnsupported},
		{"bmp", []byte("BM\x00\x00\x00\x00"), ErrUnsupported},
		{"mp4", []byte("\x00\x00\x00\x14ftypisom\x00\x00\x00\x00isom"), ErrUnsupported},
		{"jpeg truncated", jpg[:20], ErrCorrupt},
		{"jpeg soi only", []byte{0xff, 0xd8, 0xff}, ErrCorrupt},
		{"png truncated", testimage.PNG(t, image.NewGray(image.Rect(0, 0, 2, 2)))[:20], ErrCorrupt},
		{"png zero size", pngBomb(0, 5), ErrCorrupt},
		{"gif header only", []byte("GIF89a\x05\x00\x05\x00\x00\x00\x00"), ErrCorrupt},
		{"webp truncated", readTestdata(t, "lossy.webp")[:20], ErrCorrupt},
		{"avif truncated", readTestdata(t, "still.avif")[:40], ErrCorrupt},
	}
	for _, c := range cases {
		if _, err := Probe(c.src); !errors.Is(err, c.want) {
			t.Errorf("%s: Probe err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestLimitsCheck(t *testing.T) {
	l := DefaultLimits()
	cases := []struct {
		m    Meta
		want error
	}{
		{Meta{Width: 100, Height: 100, Frames: 1, Bytes: 10}, nil},
		{Meta{Width: 100, Height: 100, Frames: 1, Bytes: 50<<20 + 1}, ErrTooLarge},
		{Meta{Width: 50000, Height: 50000, Frames: 1}, ErrTooManyPixels},
		{Meta{Width: 10, Height: 10, Frames: 201}, ErrTooManyFrames},
		{Meta{Width: 2000, Height: 1000, Frames: 126}, ErrTooManyPixels},
	}
	for _, c := range cases {
		if err := l.Check(c.m); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("Check(%+v) = %v, want %v", c.m, err, c.want)
		}
	}
	if !errors.Is(ErrTooManyFrames, ErrTooManyPixels) {
		t.Error("ErrTooManyFrames should wrap ErrTooManyPixels")
	}
	if err := (Limits{}).Validate(); err == nil {
		t.Error("zero Limits should not validate")
	}
}

// probeSeeds are the fuzz seeds: every fixture, whole and truncated.
func probeSeeds(t testing.TB) [][]byte {
	jpg := testimage.JPEG(t, image.NewGray(image.Rect(0, 0, 8, 5)), jpeg.DefaultQuality)
	seeds := [][]byte{
		jpg, withExifOrientation(jpg, 8), testimage.PNG(t, image.NewNRGBA(image.Rect(0, 0, 3, 2))),
		pngBomb(50000, 50000), animatedGIF(t, 3, true),
	}
	for _, n := range []string{"lossy.webp", "alpha.webp", "still.avif", "alpha.avif", "still.heic"} {
		seeds = append(seeds, readTestdata(t, n))
	}
	for _, s := range seeds[:len(seeds):len(seeds)] {
		seeds = append(seeds, s[:len(s)/2])
	}
	return seeds
}

// TestSniffNamesWhatProbeReads: Sniff on a file's first 64 bytes names the
// format Probe reads from the whole file, and knows nothing else.
func TestSniffNamesWhatProbeReads(t *testing.T) {
	files := map[string][]byte{
		"png":  testimage.PNG(t, image.NewRGBA(image.Rect(0, 0, 4, 4))),
		"jpeg": testimage.JPEG(t, image.NewRGBA(image.Rect(0, 0, 4, 4)), jpeg.DefaultQuality),
	}
	for _, name := range []string{"alpha.avif", "lossy.webp", "still.heic"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	for name, b := range files {
		m, err := Probe(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f, ok := Sniff(b[:min(64, len(b))]); !ok || f != m.Format {
			t.Errorf("%s: Sniff = %v, %v; Probe says %v", name, f, ok, m.Format)
		}
	}
	// An ftyp box longer than the head: the brands the head holds decide.
	longFtyp := append([]byte("\x00\x00\x00\x60ftypmif1\x00\x00\x00\x00"), bytes.Repeat([]byte("miaf"), 20)...)
	for _, tt := range []struct {
		head []byte
		want Format
		ok   bool
	}{
		{longFtyp[:64], HEIF, true},
		{[]byte("\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isomavc1"), FormatAuto, false}, // MP4
		{[]byte("<svg xmlns="), FormatAuto, false},
		{nil, FormatAuto, false},
	} {
		if f, ok := Sniff(tt.head); f != tt.want || ok != tt.ok {
			t.Errorf("Sniff(%q) = %v, %v; want %v, %v", tt.head, f, ok, tt.want, tt.ok)
		}
	}
}

func TestFormatNamedInvertsString(t *testing.T) {
	for f := FormatAuto + 1; f < formatCount; f++ {
		if got, ok := FormatNamed(f.String()); !ok || got != f {
			t.Errorf("FormatNamed(%q) = %v, %v", f.String(), got, ok)
		}
	}
	if _, ok := FormatNamed("auto"); ok {
		t.Error(`FormatNamed("auto") is ok`)
	}
}
