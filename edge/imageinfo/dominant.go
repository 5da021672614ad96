package imageinfo

import (
	"math"
	"sort"
)

// MaxDominant is the most dominant colours Describe reports.
const MaxDominant = 4

// Dominant colours are found by k-means in RGB over the opaque pixels
// (alpha ≥ 128): seeded with the most common colour (5 bits a channel) and
// then, one by one, the pixel farthest from every seed chosen so far, as
// long as it is farther than minSeedDistance (so a flat image gets one
// colour, not four close ones); then at most kmeansRounds rounds of
// Lloyd's algorithm. Deterministic for given pixels.
const (
	minSeedDistance = 32
	kmeansRounds    = 10
	opaqueAlpha     = 128
)

func dominant(p pixels) []Colour {
	opaque := make([]rgba, 0, len(p.c))
	for _, c := range p.c {
		if c.a >= opaqueAlpha {
			opaque = append(opaque, c)
		}
	}
	if len(opaque) == 0 {
		return []Colour{}
	}
	centres := seeds(opaque)
	members := make([]int, len(opaque))
	for range kmeansRounds {
		if !assign(opaque, centres, members) {
			break
		}
		centres = means(opaque, members, centres)
	}
	assign(opaque, centres, members)
	counts := make([]int, len(centres))
	for _, m := range members {
		counts[m]++
	}
	out := make([]Colour, 0, len(centres))
	for i, c := range centres {
		if counts[i] > 0 {
			share := math.Round(float64(counts[i])/float64(len(opaque))*1000) / 1000
			out = append(out, Colour{Hex: c.hex(), Share: share})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Share > out[j].Share })
	return out
}

// seeds returns the first centres: the most common 15-bit colour's mean,
// then farthest-first pixels (see minSeedDistance).
func seeds(px []rgba) []rgba {
	type bucket struct {
		sum rgba
		n   int
	}
	buckets := make(map[int]bucket, len(px))
	best := -1
	for _, c := range px {
		k := int(c.r)>>3<<10 | int(c.g)>>3<<5 | int(c.b)>>3
		bk := buckets[k]
		bk.sum.r, bk.sum.g, bk.sum.b, bk.n = bk.sum.r+c.r, bk.sum.g+c.g, bk.sum.b+c.b, bk.n+1
		buckets[k] = bk
		if best < 0 || bk.n > buckets[best].n || (bk.n == buckets[best].n && k < best) {
			best = k
		}
	}
	b := buckets[best]
	centres := []rgba{{b.sum.r / float64(b.n), b.sum.g / float64(b.n), b.sum.b / float64(b.n), 255}}
	for len(centres) < MaxDominant {
		far, farDist := rgba{}, -1.0
		for _, c := range px {
			if d := nearestDist(c, centres); d > farDist {
				far, farDist = c, d
			}
		}
		if farDist < minSeedDistance*minSeedDistance {
			break
		}
		far.a = 255
		centres = append(centres, far)
	}
	return centres
}

func nearestDist(c rgba, centres []rgba) float64 {
	best := math.Inf(1)
	for _, m := range centres {
		best = min(best, dist2(c, m))
	}
	return best
}

// assign puts each pixel with its nearest centre and reports whether any
// pixel changed centre.
func assign(px, centres []rgba, members []int) bool {
	changed := false
	for i, c := range px {
		best, bestDist := 0, math.Inf(1)
		for j, m := range centres {
			if d := dist2(c, m); d < bestDist {
				best, bestDist = j, d
			}
		}
		if members[i] != best {
			members[i], changed = best, true
		}
	}
	return changed
}

// means returns each centre's new position, the mean of its pixels; a
// centre without pixels stays where it was.
func means(px []rgba, members []int, centres []rgba) []rgba {
	sums := make([]rgba, len(centres))
	counts := make([]float64, len(centres))
	for i, c := range px {
		m := members[i]
		sums[m].r, sums[m].g, sums[m].b = sums[m].r+c.r, sums[m].g+c.g, sums[m].b+c.b
		counts[m]++
	}
	for i := range sums {
		if counts[i] > 0 {
			sums[i] = rgba{sums[i].r / counts[i], sums[i].g / counts[i], sums[i].b / counts[i], 255}
		} else {
			sums[i] = centres[i]
		}
	}
	return sums
}
