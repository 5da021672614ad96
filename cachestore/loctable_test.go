package cachestore

import (
	"math/rand/v2"
	"testing"
)

// TestLocTableMatchesMap runs random puts, deletes and gets against a Go
// map. Hashes come from a small range (plus 0 and the largest), so homes
// collide, clusters wrap around the end and deletions shift slots back.
func TestLocTableMatchesMap(t *testing.T) {
	for _, spread := range []uint64{1 << 8, 1 << 20} {
		r := rand.New(rand.NewPCG(spread, 3))
		var tab locTable
		ref := make(map[uint64]loc)
		hash := func() uint64 {
			switch r.IntN(50) {
			case 0:
				return 0
			case 1:
				return ^uint64(0) - r.Uint64N(spread)
			}
			return r.Uint64N(spread) << (64 - 20) // top bits: home slots collide
		}
		for op := 0; op < 200_000; op++ {
			h := hash()
			switch r.IntN(3) {
			case 0:
				l := loc{seg: r.Uint32(), off: r.Uint32(), n: r.Uint32()}
				tab.put(h, l)
				ref[h] = l
			case 1:
				tab.del(h)
				delete(ref, h)
			}
			if got, ok := tab.get(h); ok != hasKey(ref, h) || got != ref[h] {
				t.Fatalf("op %d: get(%x) = %v %v, map has %v", op, h, got, ok, ref[h])
			}
		}
		if tab.len() != len(ref) {
			t.Fatalf("len %d, map has %d", tab.len(), len(ref))
		}
		for h, l := range ref {
			if got, ok := tab.get(h); !ok || got != l {
				t.Fatalf("get(%x) = %v %v, want %v", h, got, ok, l)
			}
		}
	}
}

func hasKey(m map[uint64]loc, h uint64) bool {
	_, ok := m[h]
	return ok
}
