package libvips

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"

	"pixcdn/transform"

	"pixcdn/internal/testimage"
)

func makeMaster(t *testing.T, p *Processor, src []byte, bound int) ([]byte, transform.Meta) {
	t.Helper()
	out, m, err := p.MakeMaster(context.Background(), probed(t, src), bound)
	if err != nil {
		t.Fatalf("MakeMaster: %v (%s)", err, Detail(err))
	}
	if m.Bytes != len(out) || m.Orientation != 0 || m.Frames != 1 {
		t.Fatalf("master Meta %+v (%d bytes)", m, len(out))
	}
	return out, m
}

// probed is src as a transform.Source.
func probed(tb testing.TB, src []byte) transform.Source {
	tb.Helper()
	s, err := transform.NewSource(src)
	if err != nil {
		tb.Fatalf("NewSource: %v", err)
	}
	return s
}

// checked is o checked (transform.Options.Check).
func checked(tb testing.TB, o transform.Options) transform.Checked {
	tb.Helper()
	c, err := o.Check()
	if err != nil {
		tb.Fatalf("Check: %v", err)
	}
	return c
}

// A master has the bound as its long side (the short side rounded to a
// multiple of 8, see masterSize), the original's orientation
// applied, sRGB pixels, alpha when the original has it; originals within
// the bound and animations get none.
func TestMakeMaster(t *testing.T) {
	p := newTestProcessor(t, nil)
	_, m := makeMaster(t, p, photoJPEG(t, 1500, 1000, false), 600)
	if m.Width != 600 || m.Height != 400 || m.Format != transform.JPEG || m.HasAlpha {
		t.Errorf("photo master %+v, want a 600×400 JPEG", m)
	}
	_, m = makeMaster(t, p, exifRotatedJPEG(t, 1500, 1000), 600) // stored 1000×1500, orientation 6
	if m.Width != 600 || m.Height != 400 {
		t.Errorf("EXIF-rotated master %d×%d, want upright 600×400", m.Width, m.Height)
	}
	_, m = makeMaster(t, p, testimage.PNG(t, pattern(1200, 900, 0, true)), 400)
	if m.Format != transform.PNG || !m.HasAlpha || m.Width != 400 || m.Height != 304 {
		t.Errorf("alpha master %+v, want a 400×304 PNG with alpha (the short side a multiple of 8)", m)
	}
	cmyk, _ := makeMaster(t, p, cmykJPEG(t, 1200, 800, true), 300)
	img := load(t, cmyk)
	defer img.Close()
	if img.Interpretation() != vips.InterpretationSRGB || img.Bands() != 3 || img.HasICCProfile() {
		t.Errorf("CMYK master: %v, %d bands, ICC %v; want untagged 3-band sRGB", img.Interpretation(), img.Bands(), img.HasICCProfile())
	}
	for name, src := range map[string][]byte{"within the bound": photoJPEG(t, 600, 400, false), "animation": animatedGIF(t, 900, 600, 3)} {
		if _, _, err := p.MakeMaster(context.Background(), probed(t, src), 600); !errors.Is(err, transform.ErrNoMaster) {
			t.Errorf("%s: %v, want ErrNoMaster", name, err)
		}
	}
}

// A variant made from a master has exactly the size of the one made from
// the original, for every fit; one that does not fit within the master is
// refused before any work.
func TestProcessMasterSizes(t *testing.T) {
	p := newTestProcessor(t, nil)
	for _, src := range []struct {
		name string
		data []byte
		orig transform.Size
	}{
		{"photo", photoJPEG(t, 2140, 1201, false), transform.Size{W: 2140, H: 1201}},
		{"portrait PNG", testimage.PNG(t, pattern(777, 1999, 0, false)), transform.Size{W: 777, H: 1999}},
		{"EXIF-rotated", exifRotatedJPEG(t, 1999, 1333), transform.Size{W: 1999, H: 1333}},
	} {
		master, mm := makeMaster(t, p, src.data, 1000)
		msize := transform.Size{W: mm.Width, H: mm.Height}
		for _, w := range []int{17, 333, 401, 528, 999, 1200} {
			for _, extra := range []string{"", "&h=%d&fit=cover", "&h=%d&fit=contain", "&h=%d&fit=fill", "&h=%d&fit=outside", "&h=%d&fit=cover&g=ne", "&h=%d&fit=cover&g=smart"} {
				query := fmt.Sprintf("w=%d", w) + extra + "&fm=webp"
				if extra != "" {
					query = fmt.Sprintf("w=%d"+extra+"&fm=webp", w, w*3/5+1)
				}
				o, err := transform.Parse(query)
				if err != nil {
					t.Fatal(err)
				}
				_, want, err := p.Process(context.Background(), src.data, o)
				if err != nil {
					t.Fatalf("%s %s: %v", src.name, query, err)
				}
				c, err := o.Check()
				if err != nil {
					t.Fatal(err)
				}
				_, got, err := p.ProcessMaster(context.Background(), probed(t, master), src.orig, c)
				fits := p.MasterFits(src.orig, msize, c)
				switch {
				case !fits && !errors.Is(err, transform.ErrInvalidOption):
					t.Errorf("%s %s: does not fit the %v master, ProcessMaster = %v", src.name, query, msize, err)
				case fits && err != nil:
					t.Errorf("%s %s: %v", src.name, query, err)
				case fits && (got.Width != want.Width || got.Height != want.Height):
					t.Errorf("%s %s: from the master %d×%d, from the original %d×%d", src.name, query, got.Width, got.Height, want.Width, want.Height)
				}
			}
		}
	}
}
