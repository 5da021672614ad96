package libvips

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"pixcdn/transform"

	"pixcdn/internal/testimage"
)

// fuzzQueries are the option sets FuzzProcess picks from, covering every step.
var fuzzQueries = []string{
	"w=32&fm=jpeg", "w=32&fm=webp", "w=24&h=24&fit=cover&g=smart&fm=png",
	"w=20&h=30&fit=contain&bg=00000080&fm=avif", "fm=gif&rot=90&flip=v",
	"w=16&h=40&fit=fill&blur=1&sharpen=1&fm=webp", "h=8&fit=outside&fm=jpeg",
	"w=30&h=10&fit=cover&g=fp:0.1,0.9&fm=gif",
}

// FuzzProcess feeds broken and mutated images through the whole pipeline:
// nothing may panic or crash, errors must be this package's sentinels (or
// the deadline), and a success must describe its output.
func FuzzProcess(f *testing.F) {
	for _, s := range processSeeds(f) {
		for q := range fuzzQueries {
			f.Add(s, uint8(q))
		}
	}
	p := newTestProcessor(f, func(c *Config) {
		c.Limits.MaxPixels, c.Limits.MaxTotalPixels = 4_000_000, 8_000_000 // keep each run fast
		c.Deadline = 20 * time.Second
	})
	f.Fuzz(func(t *testing.T, src []byte, q uint8) {
		opts, err := transform.Parse(fuzzQueries[int(q)%len(fuzzQueries)])
		if err != nil {
			t.Fatal(err)
		}
		out, m, err := p.Process(context.Background(), src, opts)
		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("error %q (%s) wraps no sentinel", err, Detail(err))
			}
			return
		}
		if m.Bytes != len(out) || m.Width < 1 || m.Height < 1 || m.Width > transform.MaxSide || m.Height > transform.MaxSide {
			t.Fatalf("bad Meta %+v for %d output bytes", m, len(out))
		}
	})
}

func isSentinel(err error) bool {
	for _, s := range []error{transform.ErrCorrupt, transform.ErrUnsupported, transform.ErrTooLarge,
		transform.ErrTooManyPixels, transform.ErrInvalidOption, context.DeadlineExceeded} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// processSeeds are small valid images of every format plus broken variants:
// truncated, bit-flipped in the header and in the data, bombs.
func processSeeds(t testing.TB) [][]byte {
	valid := [][]byte{
		photoJPEG(t, 48, 32, false), photoJPEG(t, 48, 32, true), withOrientation(photoJPEG(t, 20, 10, false), 8),
		cmykJPEG(t, 24, 16, true), png16(t, 24, 16), testimage.PNG(t, pattern(24, 16, 0, true)),
		animatedGIF(t, 12, 8, 3), greyJPEG(t, 16, 16),
	}
	for _, name := range []string{"lossy.webp", "alpha.webp", "still.avif", "alpha.avif", "still.heic"} {
		b, err := os.ReadFile("../testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		valid = append(valid, b)
	}
	seeds := append([][]byte{}, valid...)
	for _, v := range valid {
		seeds = append(seeds, v[:len(v)/2], flipByte(v, 20), flipByte(v, len(v)*3/4))
	}
	return append(seeds, bombPNG(50000, 50000), bombPNG(1500, 1500), nil, []byte("<svg/>"),
		append([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00"), bytes.Repeat([]byte("\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x00"), 300)...))
}

func flipByte(b []byte, i int) []byte {
	c := append([]byte{}, b...)
	if i < len(c) {
		c[i] ^= 0xa5
	}
	return c
}

// FuzzProcessCorruptData keeps the first half of a valid image (so the
// header probes fine and libvips really decodes) and XORs a fuzzed mask into
// the second half, optionally cutting the file short: corrupt entropy data,
// chunk CRCs, LZW streams and AV1 payloads.
func FuzzProcessCorruptData(f *testing.F) {
	valid := processSeeds(f)[:13] // the valid images, before the broken variants
	f.Add(uint8(0), []byte{0xff}, uint16(0), uint8(0))
	f.Add(uint8(6), []byte{1, 2, 3, 4, 5, 6, 7, 8}, uint16(10), uint8(4))
	f.Add(uint8(10), bytes.Repeat([]byte{0x80}, 64), uint16(0), uint8(1))
	p := newTestProcessor(f, func(c *Config) { c.Deadline = 20 * time.Second })
	f.Fuzz(func(t *testing.T, idx uint8, mask []byte, cut uint16, q uint8) {
		src := append([]byte{}, valid[int(idx)%len(valid)]...)
		half := len(src) / 2
		for i, m := range mask {
			src[half+i%(len(src)-half)] ^= m
		}
		src = src[:len(src)-min(int(cut), half)]
		opts, err := transform.Parse(fuzzQueries[int(q)%len(fuzzQueries)])
		if err != nil {
			t.Fatal(err)
		}
		out, m, err := p.Process(context.Background(), src, opts)
		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("error %q (%s) wraps no sentinel", err, Detail(err))
			}
			return
		}
		if m.Bytes != len(out) || m.Width < 1 || m.Height < 1 {
			t.Fatalf("bad Meta %+v for %d output bytes", m, len(out))
		}
	})
}
