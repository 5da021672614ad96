package imageinfo

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"pixcdn/transform"
)

// halves is a w×h image, its left part (leftShare of the columns) left,
// the rest right.
func halves(w, h int, leftShare float64, left, right color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := right
			if float64(x) < leftShare*float64(w) {
				c = left
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

var (
	red  = color.NRGBA{255, 0, 0, 255}
	blue = color.NRGBA{0, 0, 255, 255}
)

func decodePlaceholder(t *testing.T, p Placeholder) image.Image {
	t.Helper()
	b64, ok := strings.CutPrefix(p.DataURI, "data:image/png;base64,")
	if !ok {
		t.Fatalf("placeholder %q is not a PNG data URI", p.DataURI)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestDescribeTwoColours: a thumbnail three quarters red, one quarter blue
// gives those two dominant colours with their shares, a purple-ish
// average, the meta as given, and a 16×8 PNG placeholder red on the left
// and blue on the right.
func TestDescribeTwoColours(t *testing.T) {
	meta := transform.Meta{Width: 3000, Height: 1500, Format: transform.JPEG, Bytes: 12345, Frames: 1, Orientation: 6}
	info := Describe(meta, halves(32, 16, 0.75, red, blue))
	if info.Width != 3000 || info.Height != 1500 || info.Format != "jpeg" || info.Bytes != 12345 ||
		info.Orientation != 6 || info.HasAlpha || info.Frames != 1 {
		t.Errorf("meta fields: %+v", info)
	}
	want := []Colour{{"#ff0000", 0.75}, {"#0000ff", 0.25}}
	if len(info.Dominant) != 2 || info.Dominant[0] != want[0] || info.Dominant[1] != want[1] {
		t.Errorf("dominant %v, want %v", info.Dominant, want)
	}
	if info.Average != "#bf0040" {
		t.Errorf("average %s, want #bf0040", info.Average)
	}
	p := info.Placeholder
	if p.Width != 16 || p.Height != 8 {
		t.Fatalf("placeholder %d×%d, want 16×8", p.Width, p.Height)
	}
	img := decodePlaceholder(t, p)
	if b := img.Bounds(); b.Dx() != 16 || b.Dy() != 8 {
		t.Fatalf("placeholder PNG is %v", b)
	}
	if r, _, b, _ := img.At(0, 4).RGBA(); r>>8 != 255 || b>>8 != 0 {
		t.Errorf("placeholder's left edge is %v, want red", img.At(0, 4))
	}
	if r, _, b, _ := img.At(15, 4).RGBA(); r>>8 != 0 || b>>8 != 255 {
		t.Errorf("placeholder's right edge is %v, want blue", img.At(15, 4))
	}
	if len(p.DataURI) > 600 {
		t.Errorf("placeholder data URI is %d bytes, want a few hundred at most", len(p.DataURI))
	}
}

func TestDescribeFlatImageHasOneColourAndNoOrientation(t *testing.T) {
	grey := color.NRGBA{120, 120, 120, 255}
	info := Describe(transform.Meta{Width: 5, Height: 3, Format: transform.PNG}, halves(5, 3, 1, grey, grey))
	if len(info.Dominant) != 1 || info.Dominant[0] != (Colour{"#787878", 1}) || info.Average != "#787878" {
		t.Errorf("flat grey: dominant %v, average %s", info.Dominant, info.Average)
	}
	if info.Orientation != 1 || info.Frames != 1 {
		t.Errorf("orientation %d, frames %d; want 1, 1", info.Orientation, info.Frames)
	}
	if p := info.Placeholder; p.Width != 5 || p.Height != 3 { // never enlarged
		t.Errorf("placeholder %d×%d, want 5×3", p.Width, p.Height)
	}
}

// TestTransparentPixelsAreNotColours: transparent pixels count neither in
// the dominant colours nor in the average; the placeholder keeps alpha.
func TestTransparentPixelsAreNotColours(t *testing.T) {
	clear := color.NRGBA{0, 255, 0, 0}
	info := Describe(transform.Meta{Width: 20, Height: 10, Format: transform.PNG, HasAlpha: true}, halves(20, 10, 0.5, blue, clear))
	if len(info.Dominant) != 1 || info.Dominant[0] != (Colour{"#0000ff", 1}) || info.Average != "#0000ff" {
		t.Errorf("half transparent: dominant %v, average %s", info.Dominant, info.Average)
	}
	img := decodePlaceholder(t, info.Placeholder)
	if _, _, _, a := img.At(19, 5).RGBA(); a != 0 {
		t.Errorf("placeholder's transparent side has alpha %d", a>>8)
	}
	none := Describe(transform.Meta{Width: 4, Height: 4, Format: transform.PNG, HasAlpha: true}, halves(4, 4, 1, clear, clear))
	if none.Dominant == nil || len(none.Dominant) != 0 || none.Average != "#000000" {
		t.Errorf("fully transparent: dominant %#v, average %s", none.Dominant, none.Average)
	}
	if b, _ := json.Marshal(none); !strings.Contains(string(b), `"dominant":[]`) {
		t.Errorf("fully transparent JSON: %s", b)
	}
}

// TestDescribeReadsAtMostThumbSide: a larger image is read through its
// top-left ThumbSide square only, so the work is bounded.
func TestDescribeReadsAtMostThumbSide(t *testing.T) {
	info := Describe(transform.Meta{Width: 4000, Height: 4000, Format: transform.PNG}, halves(4000, 4000, float64(ThumbSide)/4000, red, blue))
	if len(info.Dominant) != 1 || info.Dominant[0].Hex != "#ff0000" {
		t.Errorf("dominant %v: read beyond the first %d columns", info.Dominant, ThumbSide)
	}
	if p := info.Placeholder; p.Width != PlaceholderSide || p.Height != PlaceholderSide {
		t.Errorf("placeholder %d×%d", p.Width, p.Height)
	}
}

func TestEncodeNamesTheFields(t *testing.T) {
	b := Encode(Describe(transform.Meta{Width: 2, Height: 1, Format: transform.WebP, Bytes: 9, Frames: 3}, halves(2, 1, 0.5, red, blue)))
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"width", "height", "format", "bytes", "orientation", "has_alpha", "frames", "average", "dominant", "placeholder"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON %s has no %q", b, k)
		}
	}
	if m["frames"] != 3.0 || m["format"] != "webp" {
		t.Errorf("JSON %s", b)
	}
}
