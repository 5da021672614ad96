package bench

import (
	"bytes"
	"context"
	"errors"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func smallSeed(t *testing.T, format string) SeedConfig {
	cfg := DefaultSeedConfig()
	cfg.Dir = t.TempDir()
	cfg.Images = 5
	cfg.Format = format
	cfg.Sizes = []Size{{64, 48}, {33, 17}}
	return cfg
}

func TestSeedWritesDecodableImagesTheWorkloadAsksFor(t *testing.T) {
	for _, format := range []string{"jpeg", "png"} {
		cfg := smallSeed(t, format)
		res, err := Seed(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.Files != 5 || res.Bytes == 0 {
			t.Fatalf("%s: wrote %d files, %d bytes", format, res.Files, res.Bytes)
		}
		sc := DefaultSyntheticConfig()
		sc.Images, sc.Ext, sc.Tenant, sc.Variants = 5, cfg.Ext(), cfg.Tenant, []string{""}
		wl, _ := NewSynthetic(sc)
		for i, p := range wl.prefix {
			f, err := os.Open(filepath.Join(cfg.Dir, filepath.FromSlash(strings.TrimPrefix(p, "/"))))
			if err != nil {
				t.Fatalf("workload path %s has no file: %v", p, err)
			}
			conf, kind, err := image.DecodeConfig(f)
			f.Close()
			want := cfg.Sizes[i%2]
			if err != nil || kind != format || conf.Width != want.W || conf.Height != want.H {
				t.Errorf("%s: %s %dx%d, %v; want %s %s", p, kind, conf.Width, conf.Height, err, format, want)
			}
		}
	}
}

func TestSeedIsDeterministic(t *testing.T) {
	a, b := smallSeed(t, "png"), smallSeed(t, "png")
	c := smallSeed(t, "png")
	c.Seed = 99
	for _, cfg := range []SeedConfig{a, b, c} {
		if _, err := Seed(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
	}
	read := func(cfg SeedConfig) []byte {
		data, err := os.ReadFile(filepath.Join(cfg.Dir, cfg.Tenant, ImageID(3, "png")))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	if !bytes.Equal(read(a), read(b)) {
		t.Error("same seed wrote different bytes")
	}
	if bytes.Equal(read(a), read(c)) {
		t.Error("another seed wrote the same bytes")
	}
	entries, _ := os.ReadDir(filepath.Join(a.Dir, a.Tenant))
	if len(entries) != 5 {
		t.Errorf("%d entries, want 5 (no temp files left)", len(entries))
	}
}

func TestSeedValidate(t *testing.T) {
	for _, s := range []string{"0x10", "10", "axb", "9000x10", "10x-1"} {
		if _, err := ParseSize(s); !errors.Is(err, ErrBadSeed) {
			t.Errorf("ParseSize(%q) = %v", s, err)
		}
	}
	if s, err := ParseSize(" 640X480 "); err != nil || s != (Size{640, 480}) {
		t.Errorf("ParseSize = %v, %v", s, err)
	}
	bad := []func(*SeedConfig){
		func(c *SeedConfig) { c.Dir = "" },
		func(c *SeedConfig) { c.Tenant = "../x" },
		func(c *SeedConfig) { c.Images = 0 },
		func(c *SeedConfig) { c.Format = "gif" },
		func(c *SeedConfig) { c.Quality = 0 },
		func(c *SeedConfig) { c.Sizes = nil },
	}
	for i, mutate := range bad {
		cfg := smallSeed(t, "jpeg")
		mutate(&cfg)
		if _, err := Seed(context.Background(), cfg); !errors.Is(err, ErrBadSeed) {
			t.Errorf("case %d: err = %v, want ErrBadSeed", i, err)
		}
	}
}
