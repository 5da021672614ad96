package cluster

import "fmt"

// names returns n members named node-00.. with no metadata.
func names(n int) []Member {
	ms := make([]Member, n)
	for i := range ms {
		ms[i] = Member{Name: fmt.Sprintf("node-%02d", i)}
	}
	return ms
}

// balance returns max/mean keys per member.
func balance(r *Ring, keys [][]byte) float64 {
	counts := map[string]int{}
	for _, k := range keys {
		m, _ := r.Owner(k)
		counts[m.Name]++
	}
	maxc := 0
	for _, c := range counts {
		maxc = max(maxc, c)
	}
	return float64(maxc) / (float64(len(keys)) / float64(r.Len()))
}

// moved returns the fraction of keys whose owner differs between a and b.
func moved(a, b *Ring, keys [][]byte) float64 {
	n := 0
	for _, k := range keys {
		x, _ := a.Owner(k)
		y, _ := b.Owner(k)
		if x.Name != y.Name {
			n++
		}
	}
	return float64(n) / float64(len(keys))
}
