package imageinfo

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"math"
	"sync"
)

// PlaceholderSide bounds the placeholder's sides in pixels.
const PlaceholderSide = 16

// placeholder shrinks p (area average, alpha-weighted) to at most
// PlaceholderSide a side, blurs it with a 3×3 box and encodes it as PNG.
func placeholder(p pixels) Placeholder {
	if p.w == 0 || p.h == 0 {
		return Placeholder{}
	}
	w, h := fitSide(p.w, p.h), fitSide(p.h, p.w)
	small := blur(shrink(p, w, h))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i, c := range small.c {
		img.SetNRGBA(i%w, i/w, color.NRGBA{channel(c.r), channel(c.g), channel(c.b), channel(c.a)})
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression, BufferPool: encoderBuffers}
	if err := enc.Encode(&buf, img); err != nil { // writes to memory: cannot fail
		panic(err)
	}
	return Placeholder{Width: w, Height: h, DataURI: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}
}

// encoderBuffers keeps PNG encoders' buffers (mostly the deflate state at
// best compression, about a megabyte) between placeholders.
var encoderBuffers = &bufferPool{}

type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() *png.EncoderBuffer {
	buf, _ := b.p.Get().(*png.EncoderBuffer)
	return buf
}

func (b *bufferPool) Put(buf *png.EncoderBuffer) { b.p.Put(buf) }

// fitSide returns side scaled so that the longer of side and other is at
// most PlaceholderSide, at least 1.
func fitSide(side, other int) int {
	long := max(side, other)
	if long <= PlaceholderSide {
		return side
	}
	return max(1, int(math.Round(float64(side)*PlaceholderSide/float64(long))))
}

// shrink returns p resampled to w×h (w ≤ p.w, h ≤ p.h): each pixel the
// alpha-weighted mean of the source pixels whose centres fall in its area.
func shrink(p pixels, w, h int) pixels {
	out := pixels{w: w, h: h, c: make([]rgba, w*h)}
	var region []rgba
	for y := range h {
		y0, y1 := span(y, h, p.h)
		for x := range w {
			x0, x1 := span(x, w, p.w)
			region = region[:0]
			for sy := y0; sy < y1; sy++ {
				region = append(region, p.c[sy*p.w+x0:sy*p.w+x1]...)
			}
			out.c[y*w+x] = mean(region)
		}
	}
	return out
}

// span returns the source pixels [lo, hi) that target pixel i of n covers
// in a source of size src ≥ n; never empty.
func span(i, n, src int) (lo, hi int) {
	lo = i * src / n
	hi = max((i+1)*src/n, lo+1)
	return lo, hi
}

// blur returns p with each pixel the mean of its 3×3 neighbourhood (edges
// clamped).
func blur(p pixels) pixels {
	out := pixels{w: p.w, h: p.h, c: make([]rgba, len(p.c))}
	region := make([]rgba, 0, 9)
	for y := range p.h {
		for x := range p.w {
			region = region[:0]
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					sx, sy := min(max(x+dx, 0), p.w-1), min(max(y+dy, 0), p.h-1)
					region = append(region, p.c[sy*p.w+sx])
				}
			}
			out.c[y*p.w+x] = mean(region)
		}
	}
	return out
}

// mean is the alpha-weighted mean colour of cs with their mean alpha.
func mean(cs []rgba) rgba {
	var sum rgba
	for _, c := range cs {
		w := c.a / 255
		sum.r, sum.g, sum.b, sum.a = sum.r+c.r*w, sum.g+c.g*w, sum.b+c.b*w, sum.a+c.a
	}
	if sum.a == 0 {
		return rgba{}
	}
	weight := sum.a / 255
	return rgba{sum.r / weight, sum.g / weight, sum.b / weight, sum.a / float64(len(cs))}
}
