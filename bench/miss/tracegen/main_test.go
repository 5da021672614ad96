package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"pixcdn/bench"
)

func originDir(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "bench")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a.jpg", "b.jpg", "c.jpg"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil { // not an image
		t.Fatal(err)
	}
	return dir
}

func readTrace(t *testing.T, name string) []string {
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reqs, err := bench.ParseTrace(f)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, r := range reqs {
		paths = append(paths, r.Path)
	}
	return paths
}

func TestColdRoundsNeverRepeatAVariant(t *testing.T) {
	dir, out := originDir(t), filepath.Join(t.TempDir(), "cold")
	if err := run([]string{"-dir", dir, "-kind", "cold", "-rounds", "4", "-per-round", "30", "-min", "300", "-max", "339", "-out", out}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for r := 1; r <= 4; r++ {
		paths := readTrace(t, fmt.Sprintf("%s-%d.txt", out, r))
		if len(paths) != 30 {
			t.Fatalf("round %d: %d requests, want 30", r, len(paths))
		}
		for _, p := range paths {
			if seen[p] || !strings.HasPrefix(p, "/bench/") || !strings.HasSuffix(p, "&fm=webp") || strings.Contains(p, "sub") {
				t.Fatalf("round %d: %q repeated or malformed", r, p)
			}
			seen[p] = true
		}
	}
	// 3 images × 40 widths = 120 variants: a fifth round does not fit.
	if err := run([]string{"-dir", dir, "-rounds", "5", "-per-round", "30", "-min", "300", "-max", "339", "-out", out}); err == nil {
		t.Error("more requests than variants accepted")
	}
}

func TestZipfTraceCoversTheMix(t *testing.T) {
	dir, out := originDir(t), filepath.Join(t.TempDir(), "zipf.txt")
	if err := run([]string{"-dir", dir, "-kind", "zipf", "-n", "20000", "-widths", "200:1180:20", "-out", out}); err != nil {
		t.Fatal(err)
	}
	paths := readTrace(t, out)
	if len(paths) != 20000 {
		t.Fatalf("%d requests, want 20000", len(paths))
	}
	distinct := slices.Compact(slices.Sorted(slices.Values(paths)))
	// 3 images × 50 widths × 2 formats = 300 variants; 20,000 Zipf(0.9)
	// draws reach nearly all of them (the rarest has p ≈ 1/1,500).
	if len(distinct) < 280 || len(distinct) > 300 {
		t.Errorf("%d distinct variants, want close to 300", len(distinct))
	}
	widths, formats := map[int]bool{}, map[string]bool{}
	for _, p := range distinct {
		var img, fm string
		var w int
		if _, err := fmt.Sscanf(strings.NewReplacer("?w=", " ", "&fm=", " ").Replace(p), "%s %d %s", &img, &w, &fm); err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		if w < 200 || w > 1180 || (w-200)%20 != 0 {
			t.Fatalf("%q: width not in 200:1180:20", p)
		}
		widths[w], formats[fm] = true, true
	}
	if len(widths) != 50 || len(formats) != 2 || !formats["webp"] || !formats["jpeg"] {
		t.Errorf("%d widths and formats %v, want 50 and webp, jpeg", len(widths), formats)
	}
}

func TestBadArguments(t *testing.T) {
	dir := originDir(t)
	out := filepath.Join(t.TempDir(), "x")
	for _, args := range [][]string{
		{"-kind", "cold", "-out", out},
		{"-dir", dir, "-kind", "other", "-out", out},
		{"-dir", dir, "-kind", "zipf", "-widths", "800:300:10", "-out", out},
		{"-dir", dir, "-kind", "zipf", "-widths", "1,x", "-out", out},
		{"-dir", t.TempDir(), "-out", out},
	} {
		if err := run(args); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}
