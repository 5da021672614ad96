package imageinfo

import (
	"image"
	"image/color"
	"testing"

	"pixcdn/transform"
)

// BenchmarkDescribe is the Go part of an info fill: colours and the
// placeholder from a 32×21 thumbnail of a photo-like gradient with a disc.
func BenchmarkDescribe(b *testing.B) {
	img := image.NewNRGBA(image.Rect(0, 0, 32, 21))
	for y := range 21 {
		for x := range 32 {
			c := color.NRGBA{uint8(8 * x), uint8(12 * y), 96, 255}
			if (x-11)*(x-11)+(y-10)*(y-10) < 36 {
				c = color.NRGBA{200, 30, 40, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	meta := transform.Meta{Width: 2400, Height: 1600, Format: transform.JPEG, Frames: 1}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			Describe(meta, img)
		}
	})
}
