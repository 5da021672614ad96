package main

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// origin writes a 640×480 JPEG as ORIGIN/bench/photo.jpg and a trace.
func origin(t *testing.T, lines string) (dir, trace string) {
	dir = t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bench"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bench", "photo.jpg"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	trace = filepath.Join(t.TempDir(), "trace.txt")
	if err := os.WriteFile(trace, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, trace
}

func TestCeilingMakesEveryRequestedWidth(t *testing.T) {
	dir, trace := origin(t, "/bench/photo.jpg?w=300&fm=webp\n/bench/photo.jpg?w=201&fm=jpeg\n/bench/photo.jpg?w=999&fm=webp\n")
	jobs, err := load(trace, dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := run(jobs, settings{quality: 80, webpEffort: 2})
	if err != nil {
		t.Fatal(err)
	}
	// 999 is wider than the original: thumbnail never enlarges.
	if res.requests != 3 || !slices.Equal(res.widths, []int{300, 201, 640}) {
		t.Errorf("requests %d, widths %v; want 3, [300 201 640]", res.requests, res.widths)
	}
	if res.bytes < 3*100 || res.wall <= 0 || res.cpu <= 0 {
		t.Errorf("bytes %d, wall %v, cpu %v: want output and time", res.bytes, res.wall, res.cpu)
	}
}

func TestCeilingRefusesBadTraces(t *testing.T) {
	for _, line := range []string{
		"/bench/photo.jpg?w=300&fm=avif",
		"/bench/photo.jpg?fm=webp",
		"/bench/missing.jpg?w=300&fm=webp",
		"/bench/../../photo.jpg?w=300&fm=webp",
	} {
		dir, trace := origin(t, line+"\n")
		if _, err := load(trace, dir); err == nil {
			t.Errorf("%q accepted", line)
		}
	}
}
