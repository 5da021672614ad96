package bench

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// subBits is the histogram's precision: each power-of-two range is split
// into 2^(subBits-1) linear buckets, so a recorded value is reported within
// 1/2^(subBits-1) (0.78%) of its true value. Values below 2^subBits are exact.
const subBits = 8

const (
	exactBuckets = 1 << subBits
	halfBuckets  = 1 << (subBits - 1)
	numBuckets   = exactBuckets + (63-subBits)*halfBuckets // int64 values have at most 63 bits
)

// Histogram is a log-linear (HDR-style) histogram of non-negative int64
// values, here latencies in nanoseconds. Its relative error is below 0.8%
// over the whole int64 range and it never allocates after New.
//
// Record and Merge are safe for concurrent use (atomic counters); reading
// methods see a consistent picture only once recording has stopped.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	total  atomic.Uint64
	sum    atomic.Uint64
	max    atomic.Int64
	min    atomic.Int64
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	h := &Histogram{}
	h.min.Store(math.MaxInt64)
	return h
}

// bucketOf maps a value to its bucket index.
func bucketOf(v int64) int {
	u := uint64(v)
	if u < exactBuckets {
		return int(u)
	}
	shift := bits.Len64(u) - subBits
	mantissa := u >> uint(shift) // in [halfBuckets, exactBuckets)
	return exactBuckets + (shift-1)*halfBuckets + int(mantissa) - halfBuckets
}

// bucketHigh is the largest value that maps to bucket i.
func bucketHigh(i int) int64 {
	if i < exactBuckets {
		return int64(i)
	}
	shift := (i-exactBuckets)/halfBuckets + 1
	mantissa := uint64((i-exactBuckets)%halfBuckets + halfBuckets)
	high := (mantissa+1)<<uint(shift) - 1
	if high > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(high)
}

// Record adds one value; negative values are recorded as 0.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)].Add(1)
	h.total.Add(1)
	h.sum.Add(uint64(v))
	for old := h.max.Load(); v > old && !h.max.CompareAndSwap(old, v); old = h.max.Load() {
	}
	for old := h.min.Load(); v < old && !h.min.CompareAndSwap(old, v); old = h.min.Load() {
	}
}

// RecordDuration adds one duration in nanoseconds.
func (h *Histogram) RecordDuration(d time.Duration) { h.Record(int64(d)) }

// Merge adds every value recorded in o to h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	h.total.Add(o.total.Load())
	h.sum.Add(o.sum.Load())
	if m := o.max.Load(); m > h.max.Load() {
		h.max.Store(m)
	}
	if m := o.min.Load(); m < h.min.Load() {
		h.min.Store(m)
	}
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Max is the largest recorded value (exact), 0 when empty.
func (h *Histogram) Max() int64 { return h.max.Load() }

// Min is the smallest recorded value (exact), 0 when empty.
func (h *Histogram) Min() int64 {
	if h.Count() == 0 {
		return 0
	}
	return h.min.Load()
}

// Mean is the exact arithmetic mean, 0 when empty.
func (h *Histogram) Mean() float64 {
	n := h.Count()
	if n == 0 {
		return 0
	}
	return float64(h.sum.Load()) / float64(n)
}

// Quantile returns the value at quantile q in [0, 1]: the upper bound of the
// bucket holding the ceil(q*count)-th smallest value, capped at Max. It is 0
// for an empty histogram.
func (h *Histogram) Quantile(q float64) int64 {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return min(bucketHigh(i), h.Max())
		}
	}
	return h.Max()
}
