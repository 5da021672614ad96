package bench

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// MaxZipfItems bounds a Zipf table: its tables take 20 bytes per item.
const MaxZipfItems = 10_000_000

// ErrBadZipf reports invalid Zipf parameters.
var ErrBadZipf = errors.New("bench: invalid zipf parameters")

// Zipf samples ranks 0..n-1 with probability proportional to 1/(rank+1)^s.
// Unlike math/rand's Zipf it accepts any exponent s >= 0 (real CDN traffic
// is usually 0.6..1.0; s = 0 is uniform). Sampling is O(1) (Walker's alias
// method: one uniform draw, one table lookup). It is immutable and safe for
// concurrent use; each caller passes its own random source.
type Zipf struct {
	cdf   []float64 // cdf[i] = P(rank <= i), cdf[n-1] == 1
	prob  []float64 // alias table: keep column i with probability prob[i]
	alias []int32   // … else take alias[i]
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
	z := &Zipf{cdf: cdf}
	z.buildAlias()
	return z, nil
}

// buildAlias fills the alias tables (Vose's method) from cdf.
func (z *Zipf) buildAlias() {
	n := len(z.cdf)
	z.prob, z.alias = make([]float64, n), make([]int32, n)
	scaled := make([]float64, n)
	var small, large []int32
	for i := range scaled {
		scaled[i] = z.Prob(i) * float64(n)
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		z.prob[s], z.alias[s] = scaled[s], l
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large, small = large[:len(large)-1], append(small, l)
		}
	}
	for _, i := range append(small, large...) { // rounding leftovers are full columns
		z.prob[i], z.alias[i] = 1, i
	}
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
	u := r.Float64() * float64(len(z.prob))
	i := int(u)
	if u-float64(i) < z.prob[i] {
		return i
	}
	return int(z.alias[i])
}
