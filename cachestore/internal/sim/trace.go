// Package sim replays synthetic request traces against cache policies to
// compare their hit ratios at equal byte budgets. Every generator takes a
// seed and is deterministic for it.
package sim

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Trace is a sequence of requests for objects 0..len(Sizes)-1.
type Trace struct {
	Name     string
	Sizes    []int64 // bytes of each object
	Requests []int32 // object ids, in request order
	// WorkingSet is how many objects, from id 0, form the working set that
	// budgets are relative to; 0 means all. A scan's one-off objects are
	// not part of it, so a scan trace is compared at the same budget as
	// the trace without the scan.
	WorkingSet int
}

// Bytes returns the working-set size in bytes.
func (t Trace) Bytes() int64 {
	n := t.WorkingSet
	if n == 0 || n > len(t.Sizes) {
		n = len(t.Sizes)
	}
	var sum int64
	for _, s := range t.Sizes[:n] {
		sum += s
	}
	return sum
}

// Sizes draws n object sizes from a log-normal distribution with the given
// median (bytes), clamped to [1 KiB, 1 MiB]: image variants vary in size.
func Sizes(n int, median float64, seed uint64) []int64 {
	r := rand.New(rand.NewPCG(seed, 1))
	sizes := make([]int64, n)
	for i := range sizes {
		s := median * math.Exp(r.NormFloat64())
		sizes[i] = int64(min(max(s, 1<<10), 1<<20))
	}
	return sizes
}

// Zipf returns count requests over n objects where object rank k (from 1)
// is requested with probability proportional to 1/k^alpha. Any alpha > 0
// works (math/rand's Zipf needs alpha > 1). Ranks are shuffled so that
// popularity is not correlated with object id.
func Zipf(n int, alpha float64, count int, seed uint64) []int32 {
	r := rand.New(rand.NewPCG(seed, 2))
	cdf := make([]float64, n)
	var sum float64
	for k := 1; k <= n; k++ {
		sum += 1 / math.Pow(float64(k), alpha)
		cdf[k-1] = sum
	}
	perm := r.Perm(n)
	reqs := make([]int32, count)
	for i := range reqs {
		rank := sort.SearchFloat64s(cdf, r.Float64()*sum)
		reqs[i] = int32(perm[min(rank, n-1)])
	}
	return reqs
}

// WithScan returns reqs with a one-off scan inserted at its middle: one
// request each for scanLen objects that appear nowhere else, numbered from
// firstID. Such a scan flushes an LRU; a scan-resistant policy keeps its
// working set.
func WithScan(reqs []int32, firstID, scanLen int) []int32 {
	mid := len(reqs) / 2
	out := make([]int32, 0, len(reqs)+scanLen)
	out = append(out, reqs[:mid]...)
	for i := 0; i < scanLen; i++ {
		out = append(out, int32(firstID+i))
	}
	return append(out, reqs[mid:]...)
}
