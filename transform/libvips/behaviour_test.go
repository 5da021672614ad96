package libvips

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"pixcdn/transform"

	"pixcdn/internal/testenv"
)

// TestCorrectnessRelations checks what a photographer would notice by
// comparing outputs with each other, independent of the golden file.
func TestCorrectnessRelations(t *testing.T) {
	p := newTestProcessor(t, nil)
	res := func(fixtureName, query string) goldenResult {
		out, m := process(t, p, fixture(t, fixtureName), query)
		return describe(t, out, m)
	}
	upright := res("photo", "w=200&fm=png")
	for _, f := range []string{"exif6", "progressive", "png16"} {
		if d := hashDistance(res(f, "w=200&fm=png").Hash, upright.Hash); d > hashTolerance {
			t.Errorf("%s differs from the upright photo by %d hash bits", f, d)
		}
	}
	withProfile, without := res("cmyk", "w=200&fm=png"), res("cmyk-noicc", "w=200&fm=png")
	if withProfile.Mean != without.Mean || hashDistance(withProfile.Hash, upright.Hash) > 2*hashTolerance {
		t.Errorf("CMYK conversion: %v vs %v (upright %v)", withProfile, without, upright)
	}
	white, black := res("alpha", "w=200&fm=jpeg"), res("alpha", "w=200&fm=jpeg&bg=000000")
	if black.Mean[0] >= white.Mean[0]-10 {
		t.Errorf("flattening onto black should darken: %v vs %v", black.Mean, white.Mean)
	}
	broken, m := process(t, p, brokenProfileJPEG(t, 640, 480), "w=200&fm=png")
	if d := hashDistance(describe(t, broken, m).Hash, upright.Hash); d > hashTolerance {
		t.Errorf("a broken ICC profile changed the picture by %d hash bits", d)
	}
	out, _ := process(t, p, fixture(t, "png16"), "w=200&fm=png")
	if depth := out[24]; depth != 8 {
		t.Errorf("16-bit PNG came out with bit depth %d", depth)
	}
}

func TestServesSmallerOriginal(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := fixture(t, "photo") // 640×480 JPEG q92
	o := transform.Options{Format: transform.PNG, Accepts: transform.ParseAccept("*/*")}
	out, m, err := p.Process(context.Background(), src, o)
	if err != nil || !bytes.Equal(out, src) || m.Format != transform.JPEG || m.Bytes != len(src) {
		t.Fatalf("want the original JPEG back, got %+v %v", m, err)
	}
	// Not when resized, not when the client does not accept the source format.
	o.Width = 320
	if _, m, _ := p.Process(context.Background(), src, o); m.Format != transform.PNG {
		t.Errorf("resized: got %v", m.Format)
	}
	o.Width, o.Accepts = 0, transform.NewFormatSet(transform.PNG)
	if _, m, _ := p.Process(context.Background(), src, o); m.Format != transform.PNG {
		t.Errorf("JPEG not accepted: got %v", m.Format)
	}
}

func TestBadInputGetsTypedErrors(t *testing.T) {
	p := newTestProcessor(t, nil)
	photo := fixture(t, "photo")
	truncated := append([]byte{}, photo[:len(photo)/2]...)
	garbage := append(append([]byte{}, photo[:600]...), bytes.Repeat([]byte{0x55}, 4000)...)
	cases := []struct {
		name string
		src  []byte
		want error
	}{
		{"empty", nil, transform.ErrCorrupt},
		{"truncated jpeg", truncated, transform.ErrCorrupt},
		{"garbage after header", garbage, transform.ErrCorrupt},
		{"wrong magic", []byte("hello, world"), transform.ErrUnsupported},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>`), transform.ErrUnsupported},
		{"png bomb 50000²", bombPNG(50000, 50000), transform.ErrTooManyPixels},
		{"png lying header", bombPNG(2000, 2000), transform.ErrCorrupt},
		{"gif with 1000 frames", animatedGIF(t, 4, 4, 1000), transform.ErrTooManyFrames},
		{"over 50 MiB", append(append([]byte{}, photo...), make([]byte, 50<<20)...), transform.ErrTooLarge},
	}
	for _, c := range cases {
		_, _, err := p.Process(context.Background(), c.src, transform.Options{Width: 100, Format: transform.WebP})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
			continue
		}
		if msg := strings.ToLower(err.Error()); strings.Contains(msg, "vips") || strings.Contains(msg, "goroutine") {
			t.Errorf("%s: error text leaks internals: %q", c.name, err)
		}
		if c.name == "truncated jpeg" && Detail(fmt.Errorf("wrapped: %w", err)) == "" {
			t.Errorf("%s: no Detail for the logs", c.name)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	p := newTestProcessor(t, nil)
	for _, o := range []transform.Options{{}, {Width: -3, Format: transform.JPEG}, {Format: transform.HEIF}} {
		if _, _, err := p.Process(context.Background(), fixture(t, "tiny"), o); !errors.Is(err, transform.ErrInvalidOption) {
			t.Errorf("%+v: err %v, want ErrInvalidOption", o, err)
		}
	}
}

func TestLoadersAreBlocked(t *testing.T) {
	newTestProcessor(t, nil)
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>`)
	if img, err := vipsLoad(svg); err == nil {
		img.Close()
		t.Fatal("libvips loaded an SVG: loaders are not blocked")
	}
}

func TestAdmissionFailsFastWhenFull(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) { c.Workers, c.QueueDepth = 1, 1 })
	if err := p.admit.acquire(context.Background()); err != nil { // the only worker is busy
		t.Fatal(err)
	}
	queued := make(chan error, 1)
	go func() {
		_, _, err := p.Process(context.Background(), fixture(t, "tiny"), transform.Options{Format: transform.PNG})
		queued <- err
	}()
	testenv.WaitFor(t, 5*time.Second, "condition", func() bool { _, waiting := p.Load(); return waiting == 1 })
	if running, _ := p.Load(); running != 1 {
		t.Errorf("Load: %d running, want 1", running)
	}
	start := time.Now()
	_, _, err := p.Process(context.Background(), fixture(t, "tiny"), transform.Options{Format: transform.PNG})
	if !errors.Is(err, transform.ErrOverloaded) || time.Since(start) > time.Second {
		t.Fatalf("full queue: err %v after %v, want ErrOverloaded at once", err, time.Since(start))
	}
	p.admit.release()
	if err := <-queued; err != nil {
		t.Fatalf("queued transform: %v", err)
	}
}

func TestDeadline(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) { c.Workers, c.Deadline = 1, 50*time.Millisecond })
	if err := p.admit.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer p.admit.release()
	_, _, err := p.Process(context.Background(), fixture(t, "tiny"), transform.Options{Format: transform.PNG})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want DeadlineExceeded", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := p.Process(ctx, fixture(t, "tiny"), transform.Options{Format: transform.PNG}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want Canceled", err)
	}
}

func TestConcurrentAndClose(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) { c.Workers, c.QueueDepth = 2, 64 })
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := []string{"w=64&fm=webp", "w=64&fm=avif", "w=64&fm=jpeg", "w=64&fm=gif"}[i%4]
			o, _ := transform.Parse(q)
			_, _, err := p.Process(context.Background(), fixture(t, "photo"), o)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	_ = p.Close() // idempotent
	if _, _, err := p.Process(context.Background(), fixture(t, "tiny"), transform.Options{Format: transform.PNG}); !errors.Is(err, transform.ErrOverloaded) {
		t.Errorf("after Close: %v", err)
	}
}
