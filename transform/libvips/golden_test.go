package libvips

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"pixcdn/transform"

	"pixcdn/internal/testimage"
)

var (
	updateGolden = flag.Bool("update", false, "rewrite testdata/golden.json from the current outputs")
	goldenPNG    = flag.String("golden-png", "", "also write every golden output as PNG into this directory, to look at")
)

const (
	goldenFile    = "testdata/golden.json"
	hashTolerance = 6  // differing bits of the 64-bit dHash
	meanTolerance = 6  // per sRGB channel, 0..255
	bytesSlack    = 10 // percent: encoders may differ slightly across library builds
)

// goldenResult is what a golden case records about one output.
type goldenResult struct {
	Meta   transform.Meta
	Hash   string     // dHash of the first frame flattened onto white, hex
	Mean   [3]float64 // mean sRGB of the first frame flattened onto white
	Bands  int        // colour bands of the output (1 grey, 3 colour), alpha excluded
	Delays []int      `json:",omitempty"` // frame delays in ms of an animation
}

type goldenCase struct {
	name, fixture, query string
}

// fixtures builds each source once per test binary.
var fixtures = struct {
	sync.Mutex
	m map[string][]byte
}{m: map[string][]byte{}}

var fixtureMakers = map[string]func(testing.TB) []byte{
	"photo":       func(t testing.TB) []byte { return photoJPEG(t, 640, 480, false) },
	"progressive": func(t testing.TB) []byte { return photoJPEG(t, 640, 480, true) },
	"exif6":       func(t testing.TB) []byte { return exifRotatedJPEG(t, 640, 480) },
	"cmyk":        func(t testing.TB) []byte { return cmykJPEG(t, 640, 480, true) },
	"cmyk-noicc":  func(t testing.TB) []byte { return cmykJPEG(t, 640, 480, false) },
	"png16":       func(t testing.TB) []byte { return png16(t, 640, 480) },
	"grey":        func(t testing.TB) []byte { return greyJPEG(t, 640, 480) },
	"alpha":       func(t testing.TB) []byte { return testimage.PNG(t, pattern(640, 480, 0, true)) },
	"anim":        func(t testing.TB) []byte { return animatedGIF(t, 120, 80, 5) },
	"tiny":        func(t testing.TB) []byte { return testimage.PNG(t, pattern(1, 1, 0, false)) },
	"wide":        func(t testing.TB) []byte { return testimage.PNG(t, pattern(4000, 10, 0, false)) },
	"heic":        func(t testing.TB) []byte { return readFile(t, "../testdata/still.heic") },
}

// Fixtures derived from other fixtures are registered here, which breaks the
// initialization cycle fixtureMakers → fixture → fixtureMakers.
func init() {
	fixtureMakers["webp"] = func(t testing.TB) []byte { return reencode(t, transform.WebP) }
	fixtureMakers["avif"] = func(t testing.TB) []byte { return reencode(t, transform.AVIF) }
	fixtureMakers["anim-webp"] = animatedWebP
}

func fixture(t testing.TB, name string) []byte {
	fixtures.Lock()
	b, ok := fixtures.m[name]
	fixtures.Unlock()
	if ok {
		return b
	}
	b = fixtureMakers[name](t) // unlocked: makers may use other fixtures
	fixtures.Lock()
	fixtures.m[name] = b
	fixtures.Unlock()
	return b
}

var goldenCases = []goldenCase{
	{"photo-jpeg", "photo", "w=200&fm=jpeg"},
	{"photo-png", "photo", "w=200&fm=png"},
	{"photo-webp", "photo", "w=200&fm=webp"},
	{"photo-avif", "photo", "w=200&fm=avif"},
	{"photo-gif", "photo", "w=200&fm=gif"},
	{"photo-jxl", "photo", "w=200&fm=jxl"},
	{"photo-jxl-q30", "photo", "w=200&q=30&fm=jxl"},
	{"grey-stays-grey-jxl", "grey", "w=200&fm=jxl"},
	{"alpha-jxl", "alpha", "w=200&fm=jxl"},
	{"anim-first-frame-jxl", "anim", "w=60&fm=jxl"},
	{"cmyk-to-srgb-jxl", "cmyk", "w=200&fm=jxl"},
	{"photo-inside-never-enlarges", "photo", "w=2000&h=2000&fm=jpeg"},
	{"photo-dpr", "photo", "w=100&dpr=2&fm=jpeg"},
	{"photo-height-only", "photo", "h=120&fm=jpeg"},
	{"photo-cover-center", "photo", "w=100&h=100&fit=cover&fm=jpeg"},
	{"photo-cover-north", "photo", "w=200&h=50&fit=cover&g=n&fm=jpeg"},
	{"photo-cover-south", "photo", "w=200&h=50&fit=cover&g=s&fm=jpeg"},
	{"photo-cover-smart", "photo", "w=100&h=100&fit=cover&g=smart&fm=jpeg"},
	{"photo-cover-focal", "photo", "w=100&h=100&fit=cover&g=fp:0.95,0.05&fm=jpeg"},
	{"photo-contain", "photo", "w=200&h=200&fit=contain&bg=000000&fm=jpeg"},
	{"photo-fill", "photo", "w=100&h=300&fit=fill&fm=jpeg"},
	{"photo-outside", "photo", "w=100&h=300&fit=outside&fm=jpeg"},
	{"photo-blur", "photo", "w=200&blur=3&fm=jpeg"},
	{"photo-sharpen", "photo", "w=200&sharpen=1.5&fm=jpeg"},
	{"photo-rot90", "photo", "w=200&rot=90&fm=jpeg"},
	{"photo-rot180", "photo", "w=200&rot=180&fm=jpeg"},
	{"photo-flip-h", "photo", "w=200&flip=h&fm=jpeg"},
	{"photo-flip-v", "photo", "w=200&flip=v&fm=jpeg"},
	{"photo-q30", "photo", "w=200&q=30&fm=jpeg"},
	{"progressive-jpeg", "progressive", "w=200&fm=jpeg"},
	{"exif6-upright", "exif6", "w=200&fm=jpeg"},
	{"cmyk-to-srgb", "cmyk", "w=200&fm=jpeg"},
	{"cmyk-without-profile", "cmyk-noicc", "w=200&fm=jpeg"},
	{"png16-to-8bit", "png16", "w=200&fm=png"},
	{"grey-stays-grey-jpeg", "grey", "w=200&fm=jpeg"},
	{"grey-stays-grey-png", "grey", "w=200&fm=png"},
	{"alpha-png", "alpha", "w=200&fm=png"},
	{"alpha-webp", "alpha", "w=200&fm=webp"},
	{"alpha-avif", "alpha", "w=200&fm=avif"},
	{"alpha-flattened-jpeg", "alpha", "w=200&fm=jpeg"},
	{"alpha-flattened-black", "alpha", "w=200&bg=000000&fm=jpeg"},
	{"alpha-contain-transparent", "alpha", "w=200&h=200&fit=contain&bg=00000000&fm=png"},
	{"anim-webp", "anim", "w=60&fm=webp"},
	{"anim-gif", "anim", "w=60&fm=gif"},
	{"anim-cover-gif", "anim", "w=40&h=40&fit=cover&g=w&fm=gif"},
	{"anim-rot90-webp", "anim", "rot=90&fm=webp"},
	{"anim-flip-v-gif", "anim", "flip=v&fm=gif"},
	{"anim-first-frame-jpeg", "anim", "w=60&fm=jpeg"},
	{"anim-first-frame-png", "anim", "w=60&fm=png"},
	{"tiny-png", "tiny", "w=100&fm=png"},
	{"tiny-cover-enlarges", "tiny", "w=16&h=16&fit=cover&fm=jpeg"},
	{"wide-png", "wide", "w=400&fm=png"},
	{"wide-webp", "wide", "h=5&fm=webp"},
	{"webp-source", "webp", "w=200&fm=jpeg"},
	{"avif-source", "avif", "w=200&fm=jpeg"},
	{"heic-source", "heic", "w=20&fm=png"},
	{"animated-webp-source", "anim-webp", "w=60&fm=gif"},
}

func newTestProcessor(t testing.TB, mutate func(*Config)) *Processor {
	t.Helper()
	cfg := DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func process(t testing.TB, p *Processor, src []byte, query string) ([]byte, transform.Meta) {
	t.Helper()
	o, err := transform.Parse(query)
	if err != nil {
		t.Fatalf("Parse(%q): %v", query, err)
	}
	out, m, err := p.Process(context.Background(), src, o)
	if err != nil {
		t.Fatalf("Process(%q): %v (%s)", query, err, Detail(err))
	}
	return out, m
}

func TestGolden(t *testing.T) {
	allowJXLLoader(t)
	p := newTestProcessor(t, nil)
	want := map[string]goldenResult{}
	if !*updateGolden {
		b, err := os.ReadFile(goldenFile)
		if err != nil {
			t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]goldenResult{}
	for _, c := range goldenCases {
		out, m := process(t, p, fixture(t, c.fixture), c.query)
		if got := transform.Meta(m); got.Bytes != len(out) {
			t.Errorf("%s: Meta.Bytes %d, output %d bytes", c.name, got.Bytes, len(out))
		}
		r := describe(t, out, m)
		got[c.name] = r
		writeGoldenPNG(t, c.name, out)
		if !*updateGolden {
			compareGolden(t, c.name, r, want[c.name])
		}
	}
	if *updateGolden {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(goldenFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func compareGolden(t *testing.T, name string, got, want goldenResult) {
	t.Helper()
	if want.Meta.Format == transform.FormatAuto {
		t.Errorf("%s: no golden entry (run with -update)", name)
		return
	}
	gm, wm := got.Meta, want.Meta
	if slack := wm.Bytes * bytesSlack / 100; gm.Bytes < wm.Bytes-slack || gm.Bytes > wm.Bytes+slack {
		t.Errorf("%s: %d bytes, golden %d (±%d%%)", name, gm.Bytes, wm.Bytes, bytesSlack)
	}
	gm.Bytes, wm.Bytes = 0, 0
	if gm != wm {
		t.Errorf("%s: Meta %+v, golden %+v", name, got.Meta, want.Meta)
	}
	if d := hashDistance(got.Hash, want.Hash); d > hashTolerance {
		t.Errorf("%s: perceptual hash %s is %d bits from golden %s", name, got.Hash, d, want.Hash)
	}
	for i := range got.Mean {
		if diff := got.Mean[i] - want.Mean[i]; diff > meanTolerance || diff < -meanTolerance {
			t.Errorf("%s: mean colour %.1f, golden %.1f", name, got.Mean, want.Mean)
			break
		}
	}
	if got.Bands != want.Bands || fmt.Sprint(got.Delays) != fmt.Sprint(want.Delays) {
		t.Errorf("%s: bands %d delays %v, golden %d %v", name, got.Bands, got.Delays, want.Bands, want.Delays)
	}
}

func hashDistance(a, b string) int {
	var x, y uint64
	fmt.Sscanf(a, "%x", &x)
	fmt.Sscanf(b, "%x", &y)
	return bits.OnesCount64(x ^ y)
}

func writeGoldenPNG(t *testing.T, name string, out []byte) {
	if *goldenPNG == "" {
		return
	}
	img := load(t, out)
	defer img.Close()
	b, _, err := img.ExportPng(nil)
	if err == nil {
		err = os.WriteFile(filepath.Join(*goldenPNG, name+".png"), b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}
