package demo

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
)

// sampleImage is one image the demo uploads so there is something to look at.
type sampleImage struct {
	publicID string
	tags     string
	body     []byte
}

// samples draws the demo's images: a landscape photo-like JPEG, a
// portrait JPEG and a PNG with transparency.
func samples() ([]sampleImage, error) {
	landscape, err := LandscapeJPEG(0.2)
	if err != nil {
		return nil, err
	}
	portrait, err := encodeJPEG(drawScene(900, 1350, 0.6))
	if err != nil {
		return nil, err
	}
	badge, err := encodePNG(drawBadge(600))
	if err != nil {
		return nil, err
	}
	return []sampleImage{
		{"photos/landscape.jpg", "summer,landscape", landscape},
		{"photos/portrait.jpg", "portrait", portrait},
		{"logos/badge.png", "logo", badge},
	}, nil
}

// LandscapeJPEG is the demo's landscape sample painted with hue (the
// demo's own is 0.2): a test uploads another version of it with another
// hue.
func LandscapeJPEG(hue float64) ([]byte, error) { return encodeJPEG(drawScene(1600, 1067, hue)) }

// drawScene paints a sky gradient, a sun and rolling hills; hue shifts the palette.
func drawScene(w, h int, hue float64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	sunX, sunY, sunR := float64(w)*0.7, float64(h)*0.3, float64(h)*0.12
	for y := range h {
		for x := range w {
			fy := float64(y) / float64(h)
			hill := 0.65 + 0.08*math.Sin(float64(x)/float64(w)*6+hue*10)
			var c color.RGBA
			switch {
			case math.Hypot(float64(x)-sunX, float64(y)-sunY) < sunR:
				c = color.RGBA{255, 220, 120, 255}
			case fy > hill:
				c = color.RGBA{uint8(40 + 60*hue), uint8(120 - 40*fy), 50, 255}
			default:
				c = color.RGBA{uint8(90 + 100*fy), uint8(150 + 60*fy), uint8(230 - 50*hue), 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// drawBadge paints a filled circle on a transparent square.
func drawBadge(size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	r := float64(size) / 2
	for y := range size {
		for x := range size {
			d := math.Hypot(float64(x)-r, float64(y)-r)
			if d < r*0.9 {
				img.SetNRGBA(x, y, color.NRGBA{uint8(200 * d / r), 60, 160, 230})
			}
		}
	}
	return img
}

func encodeJPEG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	return buf.Bytes(), err
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	err := png.Encode(&buf, img)
	return buf.Bytes(), err
}
