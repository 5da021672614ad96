package bench

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestColdWidthsAsksForEveryVariantOnce(t *testing.T) {
	images := []string{"a.jpg", "b c.jpg", "d.jpg"}
	got, err := ColdWidths(images, 300, 799, "webp", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3*500 {
		t.Fatalf("%d variants, want %d", len(got), 3*500)
	}
	seen := map[Variant]bool{}
	for _, v := range got {
		if seen[v] {
			t.Fatalf("%v twice", v)
		}
		seen[v] = true
		if v.Width < 300 || v.Width > 799 || v.Format != "webp" || !slices.Contains(images, v.Image) {
			t.Fatalf("variant out of range: %+v", v)
		}
	}
	// Every block of len(images) requests asks for each image once.
	for b := 0; b < len(got); b += len(images) {
		block := map[string]bool{}
		for _, v := range got[b : b+len(images)] {
			block[v.Image] = true
		}
		if len(block) != len(images) {
			t.Fatalf("block at %d: images %v, want each of %v once", b, block, images)
		}
	}
	// Shuffled: neither widths nor the order of images within blocks follow a pattern.
	if got[0].Width+1 == got[3].Width && got[3].Width+1 == got[6].Width {
		t.Errorf("widths not shuffled: %v", got[:9])
	}
	sameOrder := 0
	for b := 0; b < 30; b += 3 {
		if got[b].Image == images[0] && got[b+1].Image == images[1] {
			sameOrder++
		}
	}
	if sameOrder == 10 {
		t.Errorf("images in argument order in every block: %v", got[:30])
	}
	again, _ := ColdWidths(images, 300, 799, "webp", 1)
	other, _ := ColdWidths(images, 300, 799, "webp", 2)
	if !slices.Equal(got, again) {
		t.Error("same seed, different order")
	}
	if slices.Equal(got, other) {
		t.Error("different seeds, same order")
	}
}

func TestZipfVariantsFollowsPopularity(t *testing.T) {
	images := []string{"a.jpg", "b.jpg", "c.jpg"}
	widths := []int{100, 200, 300, 400}
	formats := []string{"webp", "jpeg"}
	const n = 100_000
	got, err := ZipfVariants(images, widths, formats, 0.9, n, 7)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[Variant]int{}
	for _, v := range got {
		counts[v]++
	}
	if len(counts) != 24 {
		t.Fatalf("%d distinct variants drawn, want all 24", len(counts))
	}
	// The most popular variant gets Zipf rank 0's share: 1/H(24, 0.9).
	z, _ := NewZipf(24, 0.9)
	top := 0
	for _, c := range counts {
		top = max(top, c)
	}
	if want := z.Prob(0) * n; float64(top) < 0.95*want || float64(top) > 1.05*want {
		t.Errorf("top variant drawn %d times, want about %.0f", top, want)
	}
	again, _ := ZipfVariants(images, widths, formats, 0.9, n, 7)
	if !slices.Equal(got, again) {
		t.Error("same seed, different draws")
	}
}

func TestMissWorkloadsRejectBadParameters(t *testing.T) {
	for name, err := range map[string]error{
		"no images":        second(ColdWidths(nil, 300, 800, "webp", 1)),
		"widths reversed":  second(ColdWidths([]string{"a"}, 800, 300, "webp", 1)),
		"zero width":       second(ColdWidths([]string{"a"}, 0, 300, "webp", 1)),
		"no format":        second(ColdWidths([]string{"a"}, 300, 800, "", 1)),
		"too many":         second(ColdWidths(make([]string, 100_000), 1, 1000, "webp", 1)),
		"zipf no widths":   second(ZipfVariants([]string{"a"}, nil, []string{"webp"}, 0.9, 10, 1)),
		"zipf bad width":   second(ZipfVariants([]string{"a"}, []int{0}, []string{"webp"}, 0.9, 10, 1)),
		"zipf no requests": second(ZipfVariants([]string{"a"}, []int{1}, []string{"webp"}, 0.9, 0, 1)),
		"zipf bad skew":    second(ZipfVariants([]string{"a"}, []int{1}, []string{"webp"}, -1, 10, 1)),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if !errors.Is(err, ErrBadMissWorkload) && !errors.Is(err, ErrBadZipf) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestVariantPathEscapes(t *testing.T) {
	v := Variant{Image: "cats/b c?.jpg", Width: 420, Format: "webp"}
	want := "/bench/cats/b%20c%3F.jpg?w=420&fm=webp"
	if got := v.Path("bench"); got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
	if _, err := ParseTrace(strings.NewReader(v.Path("bench"))); err != nil {
		t.Errorf("not a trace line: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }
