package s3fifo

import (
	"math/rand/v2"
	"testing"
)

func TestPolicyBasics(t *testing.T) {
	tests := []struct {
		name      string
		capacity  int64
		adds      []int64 // sizes of objects 1, 2, 3, …
		hits      []uint64
		wantHeld  []uint64
		wantGone  []uint64
		wantBytes int64
	}{
		{"fits", 100, []int64{10, 20, 30}, nil, []uint64{1, 2, 3}, nil, 60},
		{"too big is refused", 100, []int64{101}, nil, nil, []uint64{1}, 0},
		{"oldest unhit goes first", 30, []int64{10, 10, 10, 10}, nil, []uint64{2, 3, 4}, []uint64{1}, 30},
		{"hit object survives", 30, []int64{10, 10, 10, 10}, []uint64{1}, []uint64{1, 3, 4}, []uint64{2}, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(tt.capacity)
			for i, size := range tt.adds {
				h := uint64(i + 1)
				if i == len(tt.adds)-1 {
					for _, hit := range tt.hits {
						p.Hit(hit)
					}
				}
				p.Add(h, size, nil)
			}
			for _, h := range tt.wantHeld {
				if !p.Contains(h) {
					t.Errorf("object %d evicted, want held", h)
				}
			}
			for _, h := range tt.wantGone {
				if p.Contains(h) {
					t.Errorf("object %d held, want gone", h)
				}
			}
			if p.Bytes() != tt.wantBytes {
				t.Errorf("Bytes() = %d, want %d", p.Bytes(), tt.wantBytes)
			}
		})
	}
}

func TestEvictCallbackAndGhost(t *testing.T) {
	p := New(100)
	var evicted []uint64
	for h := uint64(1); h <= 20; h++ {
		p.Add(h, 10, func(v uint64) { evicted = append(evicted, v) })
	}
	if len(evicted) != 10 || p.Len() != 10 || p.Evictions() != 10 {
		t.Fatalf("evicted %v (count %d), len %d", evicted, p.Evictions(), p.Len())
	}
	// The last victim is still remembered by the ghost: readding it goes to main.
	last := evicted[len(evicted)-1]
	p.Add(last, 10, nil)
	if !p.slots[p.index[last]].inMain {
		t.Fatal("ghost hit was not admitted to main")
	}
}

func TestRemoveAndResize(t *testing.T) {
	p := New(100)
	p.Add(1, 10, nil)
	p.Add(1, 40, nil)
	if p.Bytes() != 40 || p.Len() != 1 {
		t.Fatalf("after resize: bytes %d len %d", p.Bytes(), p.Len())
	}
	if !p.Remove(1) || p.Remove(1) || p.Bytes() != 0 {
		t.Fatalf("remove: bytes %d", p.Bytes())
	}
}

// TestInvariants drives random operations and checks that the byte count
// always matches the tracked objects and never exceeds the budget.
func TestInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	p := New(10_000)
	for i := 0; i < 200_000; i++ {
		h := uint64(r.IntN(2000))
		switch r.IntN(4) {
		case 0:
			p.Remove(h)
		case 1:
			p.Hit(h)
		default:
			p.Add(h, int64(1+r.IntN(500)), nil)
		}
		if p.Bytes() > p.Capacity() {
			t.Fatalf("step %d: %d bytes over capacity %d", i, p.Bytes(), p.Capacity())
		}
	}
	var sum int64
	for _, id := range p.index {
		sum += p.slots[id].size
	}
	if sum != p.Bytes() {
		t.Fatalf("sum of sizes %d != Bytes() %d", sum, p.Bytes())
	}
	if q := p.small.len() + p.main.len(); q > 2*p.Len()+1024+1 {
		t.Fatalf("queues hold %d refs for %d objects", q, p.Len())
	}
	p.SetCapacity(1000, nil)
	if p.Bytes() > 1000 {
		t.Fatalf("after shrinking: %d bytes", p.Bytes())
	}
}

func TestPreload(t *testing.T) {
	p := New(100)
	p.Reserve(10)
	if !p.Preload(1, 60) || p.Preload(2, 50) || !p.Preload(3, 40) {
		t.Fatal("Preload admitted an object past the budget, or refused one that fits")
	}
	if p.Bytes() != 100 || p.Len() != 2 || !p.slots[p.index[1]].inMain {
		t.Fatalf("bytes %d len %d", p.Bytes(), p.Len())
	}
	p.Add(4, 10, nil) // evicts from main: preloaded objects are evictable
	if p.Bytes() > 100 {
		t.Fatalf("over budget after Add: %d", p.Bytes())
	}
}
