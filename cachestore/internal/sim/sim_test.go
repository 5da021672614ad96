package sim

import "testing"

// TestPixcdnAtLeastLRU is the acceptance criterion at a scale that
// runs in a second: on every trace and budget of the suite, pixcdn's policy
// hits at least as often as exact LRU.
func TestPixcdnAtLeastLRU(t *testing.T) {
	p := Params{Objects: 10_000, Requests: 200_000, Median: 16 << 10, Seed: 7}
	for _, row := range Run(p) {
		t.Log(row)
		if row.Pixcdn.HitRatio() < row.LRU.HitRatio() {
			t.Errorf("%s at %.0f%%: pixcdn %.4f < LRU %.4f",
				row.Trace, row.Percent, row.Pixcdn.HitRatio(), row.LRU.HitRatio())
		}
	}
}

func TestZipfSkew(t *testing.T) {
	reqs := Zipf(1000, 1.1, 100_000, 3)
	counts := make(map[int32]int)
	for _, r := range reqs {
		if r < 0 || r >= 1000 {
			t.Fatalf("object %d out of range", r)
		}
		counts[r]++
	}
	top := 0
	for _, c := range counts {
		top = max(top, c)
	}
	// Rank 1 of Zipf(1.1) over 1000 objects has probability ≈ 0.17.
	if top < 12_000 || top > 22_000 {
		t.Fatalf("most popular object got %d of 100000 requests, want ≈17000", top)
	}
}

func TestWithScan(t *testing.T) {
	got := WithScan([]int32{1, 2, 3, 4}, 10, 3)
	want := []int32{1, 2, 10, 11, 12, 3, 4}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
