package bench

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// MaxZipfItems bounds a Zipf table: its cumulative table takes 8 bytes per item.
const MaxZipfItems = 10_000_000

// ErrBadZipf reports invalid Zipf parameters.
var ErrBadZipf = errors.New("bench: invalid zipf parameters")

// Zipf samples ranks 0..n-1 with probability proportional to 1/(rank+1)^s.
// Unlike math/rand's Zipf it accepts any exponent s >= 0 (real CDN traffic
// is usually 0.6..1.0; s = 0 is uniform). It is immutable and safe for
// concurrent use; each caller passes its own random source.
type Zipf struct {
	cdf []float64 // cdf[i] = P(rank <= i), cdf[n-1] == 1
}

// NewZipf builds the cumulative table for n items and exponent s.
func NewZipf(n int, s float64) (*Zipf, error) {
	if n < 1 || n > MaxZipfItems {
		return nil, fmt.Errorf("%w: %d items, want 1..%d", ErrBadZipf, n, MaxZipfItems)
	}
	if !(s >= 0 && s <= 10) {
		return nil, fmt.Errorf("%w: exponent %v, want 0..10", ErrBadZipf, s)
	}
	cdf := make([]float64, n)
	var sum float64
	for i := range cdf {
		sum += math.Pow(float64(i+1), -s)
		cdf[i] = sum
	}
	for i := range cdf {
		cdf[i] /= sum
	}
	cdf[n-1] = 1
	return &Zipf{cdf: cdf}, nil
}

// N is the number of items.
func (z *Zipf) N() int { return len(z.cdf) }

// Prob is the probability of rank i.
func (z *Zipf) Prob(i int) float64 {
	if i == 0 {
		return z.cdf[0]
	}
	return z.cdf[i] - z.cdf[i-1]
}

// Sample draws one rank using r.
func (z *Zipf) Sample(r *rand.Rand) int {
	u := r.Float64()
	return sort.SearchFloat64s(z.cdf, u) // first i with cdf[i] >= u
}
