package bench

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestBucketRoundTrip(t *testing.T) {
	prevHigh := int64(-1)
	for i := 0; i < numBuckets; i++ {
		high := bucketHigh(i)
		if high <= prevHigh {
			t.Fatalf("bucket %d high %d not above previous %d", i, high, prevHigh)
		}
		if got := bucketOf(high); got != i {
			t.Fatalf("bucketOf(bucketHigh(%d)=%d) = %d", i, high, got)
		}
		if got := bucketOf(prevHigh + 1); got != i {
			t.Fatalf("bucketOf(%d) = %d, want %d", prevHigh+1, got, i)
		}
		prevHigh = high
	}
	if prevHigh != math.MaxInt64 {
		t.Fatalf("last bucket ends at %d, want MaxInt64", prevHigh)
	}
}

func TestHistogramRelativeError(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		v := int64(r.Uint64() >> uint(r.IntN(64)))
		hi := bucketHigh(bucketOf(v))
		if v > 1000 && float64(hi-v)/float64(v) > 1.0/halfBuckets {
			t.Fatalf("value %d reported as %d: error above %.4f", v, hi, 1.0/halfBuckets)
		}
		if hi < v {
			t.Fatalf("value %d reported below itself as %d", v, hi)
		}
	}
}

func TestHistogramQuantilesMatchSorted(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	h := NewHistogram()
	vals := make([]int64, 50000)
	for i := range vals {
		// log-normal-ish latencies around 1ms
		vals[i] = int64(math.Exp(r.NormFloat64()*1.2) * 1e6)
		h.Record(vals[i])
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		want := vals[int(math.Ceil(q*float64(len(vals))))-1]
		got := h.Quantile(q)
		if rel := float64(got-want) / float64(want); rel < 0 || rel > 0.008 {
			t.Errorf("q%.3f = %d, exact %d (relative error %.4f)", q, got, want, rel)
		}
	}
	if h.Max() != vals[len(vals)-1] || h.Min() != vals[0] {
		t.Errorf("min/max = %d/%d, want %d/%d", h.Min(), h.Max(), vals[0], vals[len(vals)-1])
	}
}

func TestHistogramMergeAndEmpty(t *testing.T) {
	a, b := NewHistogram(), NewHistogram()
	if a.Quantile(0.5) != 0 || a.Min() != 0 || a.Mean() != 0 {
		t.Fatal("empty histogram must report zeros")
	}
	for v := int64(1); v <= 100; v++ {
		a.Record(v)
		b.Record(v + 100)
	}
	a.Merge(b)
	if a.Count() != 200 || a.Max() != 200 || a.Min() != 1 {
		t.Fatalf("merged count/min/max = %d/%d/%d", a.Count(), a.Min(), a.Max())
	}
	if got := a.Quantile(0.5); got != 100 {
		t.Fatalf("median of 1..200 = %d, want 100", got)
	}
	if got := a.Mean(); got != 100.5 {
		t.Fatalf("mean = %v, want 100.5", got)
	}
	a.Record(-5)
	if a.Min() != 0 {
		t.Fatalf("negative value must record as 0, min = %d", a.Min())
	}
}
