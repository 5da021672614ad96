package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ErrBadSeed reports an invalid SeedConfig.
var ErrBadSeed = errors.New("bench: invalid seed config")

// Size is an image size in pixels.
type Size struct{ W, H int }

// String prints "640x480".
func (s Size) String() string { return strconv.Itoa(s.W) + "x" + strconv.Itoa(s.H) }

// ParseSize reads "WIDTHxHEIGHT", each 1..8192.
func ParseSize(s string) (Size, error) {
	ws, hs, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "x")
	w, errW := strconv.Atoi(ws)
	h, errH := strconv.Atoi(hs)
	if !ok || errW != nil || errH != nil || w < 1 || h < 1 || w > 8192 || h > 8192 {
		return Size{}, fmt.Errorf("%w: size %q, want WIDTHxHEIGHT within 1..8192", ErrBadSeed, s)
	}
	return Size{w, h}, nil
}

// SeedConfig describes a synthetic corpus for a dir: origin.
type SeedConfig struct {
	// Dir is the origin folder; images go to Dir/Tenant/. Required.
	Dir string
	// Tenant is the tenant folder. Default "bench".
	Tenant string
	// Images is how many images to write, named ImageID(0..Images-1).
	// Default 1000 (as the synthetic workload), at most MaxZipfItems.
	Images int
	// Sizes are the pixel sizes, used in turn (image i gets
	// Sizes[i%len(Sizes)]). Default 1600x1200, 1024x768, 640x480.
	Sizes []Size
	// Format is "jpeg" (files *.jpg) or "png" (*.png). Default "jpeg".
	Format string
	// Quality is the JPEG quality 1..100. Default 85.
	Quality int
	// Seed makes the pixels reproducible. Default 1.
	Seed uint64
	// Workers encode in parallel. Default GOMAXPROCS.
	Workers int
}

// DefaultSeedConfig returns the defaults documented on the fields.
func DefaultSeedConfig() SeedConfig {
	return SeedConfig{
		Tenant: "bench", Images: 1000, Format: "jpeg", Quality: 85, Seed: 1,
		Sizes:   []Size{{1600, 1200}, {1024, 768}, {640, 480}},
		Workers: runtime.GOMAXPROCS(0),
	}
}

// Ext is the file extension for Format, as the synthetic workload's Ext.
func (c SeedConfig) Ext() string {
	if c.Format == "png" {
		return "png"
	}
	return "jpg"
}

// Validate reports the first invalid field.
func (c SeedConfig) Validate() error {
	switch {
	case c.Dir == "":
		return fmt.Errorf("%w: dir is required", ErrBadSeed)
	case !validSegment(c.Tenant):
		return fmt.Errorf("%w: tenant %q must be a path segment of [A-Za-z0-9._-]", ErrBadSeed, c.Tenant)
	case c.Images < 1 || c.Images > MaxZipfItems:
		return fmt.Errorf("%w: images %d, want 1..%d", ErrBadSeed, c.Images, MaxZipfItems)
	case len(c.Sizes) == 0:
		return fmt.Errorf("%w: no sizes", ErrBadSeed)
	case c.Format != "jpeg" && c.Format != "png":
		return fmt.Errorf("%w: format %q, want jpeg or png", ErrBadSeed, c.Format)
	case c.Quality < 1 || c.Quality > 100:
		return fmt.Errorf("%w: quality %d, want 1..100", ErrBadSeed, c.Quality)
	case c.Workers < 1:
		return fmt.Errorf("%w: workers %d, want at least 1", ErrBadSeed, c.Workers)
	}
	for _, s := range c.Sizes {
		if s.W < 1 || s.H < 1 || s.W > 8192 || s.H > 8192 {
			return fmt.Errorf("%w: size %s, want 1..8192 each way", ErrBadSeed, s)
		}
	}
	return nil
}

// SeedResult says what Seed wrote.
type SeedResult struct {
	Dir   string // Dir/Tenant
	Files int
	Bytes int64
}

// Seed writes cfg.Images synthetic images to cfg.Dir/cfg.Tenant, each
// replaced atomically (temp file and rename), so it can be re-run over an
// existing corpus. Images are deterministic for a seed. It blocks until
// done or ctx is cancelled.
func Seed(ctx context.Context, cfg SeedConfig) (SeedResult, error) {
	if err := cfg.Validate(); err != nil {
		return SeedResult{}, err
	}
	res := SeedResult{Dir: filepath.Join(cfg.Dir, cfg.Tenant)}
	if err := os.MkdirAll(res.Dir, 0o755); err != nil {
		return res, err
	}
	var next, bytes, files atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(cfg.Workers, cfg.Images) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < cfg.Images && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				n, err := writeImage(res.Dir, i, cfg)
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				bytes.Add(n)
				files.Add(1)
			}
		})
	}
	wg.Wait()
	res.Files, res.Bytes = int(files.Load()), bytes.Load()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return res, firstErr
}

// writeImage encodes image i and renames it into place; it returns its size.
func writeImage(dir string, i int, cfg SeedConfig) (int64, error) {
	img := SyntheticImage(cfg.Sizes[i%len(cfg.Sizes)], cfg.Seed, i)
	final := filepath.Join(dir, ImageID(i, cfg.Ext()))
	f, err := os.CreateTemp(dir, ".seed-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name()) // no-op after a successful rename
	w := bufio.NewWriterSize(f, 64<<10)
	if cfg.Format == "png" {
		err = png.Encode(w, img)
	} else {
		err = jpeg.Encode(w, img, &jpeg.Options{Quality: cfg.Quality})
	}
	err = errors.Join(err, w.Flush())
	st, statErr := f.Stat()
	err = errors.Join(err, statErr, f.Chmod(0o644), f.Close())
	if err != nil {
		return 0, fmt.Errorf("seed %s: %w", final, err)
	}
	if err := os.Rename(f.Name(), final); err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// SyntheticImage draws image i of a seed: a two-way gradient tinted per
// image, a dozen solid shapes and a little noise, so encoders see edges,
// flat areas and texture as in a photo. Deterministic for (size, seed, i).
func SyntheticImage(size Size, seed uint64, i int) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	img := image.NewRGBA(image.Rect(0, 0, size.W, size.H))
	tint := uint8(r.IntN(256))
	noise := r.Uint64() | 1
	for y := 0; y < size.H; y++ {
		for x := 0; x < size.W; x++ {
			noise ^= noise << 13
			noise ^= noise >> 7
			noise ^= noise << 17
			n := uint8(noise&7) - 4
			o := img.PixOffset(x, y)
			img.Pix[o] = uint8(x*255/size.W) + n
			img.Pix[o+1] = uint8(y*255/size.H) + n
			img.Pix[o+2] = tint + n
			img.Pix[o+3] = 255
		}
	}
	for range 12 {
		drawRect(img, r)
	}
	return img
}

func drawRect(img *image.RGBA, r *rand.Rand) {
	b := img.Bounds()
	w, h := 1+r.IntN(max(1, b.Dx()/3)), 1+r.IntN(max(1, b.Dy()/3))
	x0, y0 := r.IntN(b.Dx()), r.IntN(b.Dy())
	c := color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
	rect := image.Rect(x0, y0, x0+w, y0+h).Intersect(b)
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}
