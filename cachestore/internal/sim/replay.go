package sim

import (
	"fmt"

	"pixcdn/cachestore/internal/lru"
	"pixcdn/cachestore/internal/s3fifo"
)

// Cache is the part of a policy a replay drives: look up (counting a hit)
// and, on a miss, insert.
type Cache interface {
	Hit(h uint64) bool
	Add(h uint64, size int64)
}

// Result counts the outcome of one replay.
type Result struct {
	Requests, Hits int64
	Bytes, HitByte int64
}

// HitRatio is the share of requests that were hits.
func (r Result) HitRatio() float64 { return ratio(r.Hits, r.Requests) }

// ByteHitRatio is the share of requested bytes served from cache.
func (r Result) ByteHitRatio() float64 { return ratio(r.HitByte, r.Bytes) }

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Replay runs t through c: every request is a lookup, every miss an insert.
func Replay(c Cache, t Trace) Result {
	var res Result
	for _, id := range t.Requests {
		size := t.Sizes[id]
		res.Requests++
		res.Bytes += size
		if c.Hit(uint64(id)) {
			res.Hits++
			res.HitByte += size
			continue
		}
		c.Add(uint64(id), size)
	}
	return res
}

// LRU adapts the exact-LRU baseline to Cache.
type LRU struct{ *lru.LRU }

// Add inserts h.
func (l LRU) Add(h uint64, size int64) { l.LRU.Add(h, size) }

// S3FIFO adapts pixcdn's policy (the one cachestore uses) to Cache.
type S3FIFO struct{ *s3fifo.Policy }

// Add inserts h.
func (s S3FIFO) Add(h uint64, size int64) { s.Policy.Add(h, size, nil) }

// Row is one line of a comparison: a trace at one budget.
type Row struct {
	Trace   string
	Percent float64 // budget as a percentage of the working set
	LRU     Result
	Pixcdn  Result
}

func (r Row) String() string {
	return fmt.Sprintf("%-16s %5.1f%%  %7.4f  %7.4f  %+7.4f  %7.4f  %7.4f",
		r.Trace, r.Percent, r.LRU.HitRatio(), r.Pixcdn.HitRatio(),
		r.Pixcdn.HitRatio()-r.LRU.HitRatio(), r.LRU.ByteHitRatio(), r.Pixcdn.ByteHitRatio())
}

// Header names the columns of Row.String.
const Header = "trace            budget      LRU   pixcdn    delta  LRU-byte pixcdn-byte"

// Compare replays t against LRU and pixcdn's policy at percent% of its
// working-set bytes.
func Compare(t Trace, percent float64) Row {
	budget := int64(float64(t.Bytes()) * percent / 100)
	return Row{
		Trace:   t.Name,
		Percent: percent,
		LRU:     Replay(LRU{lru.New(budget)}, t),
		Pixcdn:  Replay(S3FIFO{s3fifo.New(budget)}, t),
	}
}
