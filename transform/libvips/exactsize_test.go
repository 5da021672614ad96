package libvips

import (
	"context"
	"fmt"
	"math"
	"testing"

	"pixcdn/transform"

	"pixcdn/internal/testimage"
)

// Every fit returns exactly the size asked for: the given side for
// inside, the box for fill, cover and contain, the box-covering size with
// one side exact and the other aspect-correct for outside; from JPEG, PNG, WebP, GIF and HEIF sources
// of awkward sizes, at many widths.
func TestResultSizesAreExact(t *testing.T) {
	p := newTestProcessor(t, nil)
	type source struct {
		name string
		w, h int
		data []byte
	}
	var sources []source
	for _, size := range [][2]int{{2140, 1200}, {333, 1001}} {
		png := testimage.PNG(t, pattern(size[0], size[1], 0, false))
		for _, f := range []transform.Format{transform.JPEG, transform.PNG, transform.WebP, transform.GIF, transform.HEIF} {
			data := png
			if f != transform.PNG {
				out, _, err := p.Process(context.Background(), png, transform.Options{Format: writable(f), Quality: 90})
				if err != nil {
					t.Fatalf("encode %v: %v", f, err)
				}
				data = out
			}
			sources = append(sources, source{fmt.Sprintf("%s %d×%d", f, size[0], size[1]), size[0], size[1], data})
		}
	}
	for _, src := range sources {
		for _, w := range []int{17, 400, 528, 1039, 1550, 2061} {
			if w >= src.w {
				continue
			}
			h := w*2/3 + 1
			// check wants both sides exact, also a side derived from the
			// aspect ratio: the plan pins the resized size (plan.exact), so
			// libvips' rounding after shrink-on-load (JPEG's DCT scaling)
			// cannot take a pixel off it.
			check := func(query string, wantW, wantH int) {
				t.Helper()
				o, err := transform.Parse(query + "&fm=jpeg&q=30")
				if err != nil {
					t.Fatal(err)
				}
				_, m, err := p.Process(context.Background(), src.data, o)
				if err != nil {
					t.Fatalf("%s %s: %v", src.name, query, err)
				}
				if m.Width != wantW || m.Height != wantH {
					t.Errorf("%s %s: %d×%d, want %d×%d", src.name, query, m.Width, m.Height, wantW, wantH)
				}
			}
			check(fmt.Sprintf("w=%d", w), w, aspect(w, src.h, src.w))
			if w < src.h {
				check(fmt.Sprintf("h=%d", w), aspect(w, src.w, src.h), w)
			}
			for _, fit := range []string{"fill", "cover", "contain"} {
				check(fmt.Sprintf("w=%d&h=%d&fit=%s", w, h, fit), w, h)
			}
			if float64(w)/float64(src.w) >= float64(h)/float64(src.h) {
				check(fmt.Sprintf("w=%d&h=%d&fit=outside", w, h), w, aspect(w, src.h, src.w))
			} else {
				check(fmt.Sprintf("w=%d&h=%d&fit=outside", w, h), aspect(h, src.w, src.h), h)
			}
		}
	}
}

// aspect is the other side for a given side, keeping the source's aspect.
func aspect(given, num, den int) int {
	return max(int(math.Round(float64(given)*float64(num)/float64(den))), 1)
}

// writable maps HEIF (a source format pixcdn does not write) to AVIF,
// which libvips writes through the same HEIF container.
func writable(f transform.Format) transform.Format {
	if f == transform.HEIF {
		return transform.AVIF
	}
	return f
}
