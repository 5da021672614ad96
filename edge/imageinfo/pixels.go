package imageinfo

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// rgba is a non-premultiplied sRGB colour, channels 0..255.
type rgba struct{ r, g, b, a float64 }

func (c rgba) hex() string {
	return fmt.Sprintf("#%02x%02x%02x", channel(c.r), channel(c.g), channel(c.b))
}

func channel(v float64) uint8 { return uint8(math.Round(min(max(v, 0), 255))) }

// dist2 is the squared distance of two colours in RGB.
func dist2(a, b rgba) float64 {
	dr, dg, db := a.r-b.r, a.g-b.g, a.b-b.b
	return dr*dr + dg*dg + db*db
}

// pixels is an image's pixels, row by row.
type pixels struct {
	w, h int
	c    []rgba
}

// readPixels reads at most ThumbSide×ThumbSide pixels of img, from its
// top-left corner.
func readPixels(img image.Image) pixels {
	b := img.Bounds()
	p := pixels{w: min(b.Dx(), ThumbSide), h: min(b.Dy(), ThumbSide)}
	p.c = make([]rgba, 0, p.w*p.h)
	for y := range p.h {
		for x := range p.w {
			n := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			p.c = append(p.c, rgba{float64(n.R), float64(n.G), float64(n.B), float64(n.A)})
		}
	}
	return p
}

// average is the alpha-weighted mean colour, black when every pixel is
// transparent.
func (p pixels) average() rgba { return mean(p.c) }
