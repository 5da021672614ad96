package cluster

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRingProperties checks every member count from 1 to 64: every partition
// has an owner from the member set, bounded load holds, shares sum to one,
// input order and the local node do not change placement, and Owners gives
// distinct members with the owner first.
func TestRingProperties(t *testing.T) {
	p := DefaultConfig().ringParams()
	keys := randomKeys(300, 7)
	versions := map[uint64]int{}
	for n := 1; n <= 64; n++ {
		ms := names(n)
		r, err := buildRing(p, ms, ms[0].Name)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if prev, dup := versions[r.Version()]; dup {
			t.Fatalf("n=%d has the ring version of n=%d", n, prev)
		}
		versions[r.Version()] = n
		checkShares(t, p, r)
		checkOwners(t, r, keys, n)
		if n > 8 && n%7 != 0 && n != 64 {
			continue // order independence on a sample: a build is costly under -race
		}
		shuffled := slices.Clone(ms)
		rand.New(rand.NewPCG(uint64(n), 1)).Shuffle(n, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		r2, err := buildRing(p, shuffled, ms[n-1].Name)
		if err != nil {
			t.Fatalf("n=%d shuffled: %v", n, err)
		}
		if r2.Version() != r.Version() || !slices.Equal(r2.owner, r.owner) {
			t.Fatalf("n=%d: placement depends on member order", n)
		}
	}
}

func checkShares(t *testing.T, p ringParams, r *Ring) {
	t.Helper()
	n := r.Len()
	bound := int(math.Ceil(float64(p.PartitionCount) / float64(n) * p.Load))
	sum, total := 0.0, 0
	for _, m := range r.members {
		if m.Partitions > bound {
			t.Fatalf("n=%d: %s owns %d partitions, bound %d", n, m.Name, m.Partitions, bound)
		}
		sum += m.Share
		total += m.Partitions
	}
	if total != p.PartitionCount || math.Abs(sum-1) > 1e-9 {
		t.Fatalf("n=%d: %d partitions placed of %d, shares sum %v", n, total, p.PartitionCount, sum)
	}
}

func checkOwners(t *testing.T, r *Ring, keys [][]byte, n int) {
	t.Helper()
	for _, k := range keys {
		owner, _ := r.Owner(k)
		for _, want := range []int{1, 3, n, n + 5} {
			got := r.Owners(k, want)
			if len(got) != min(want, n) || got[0].Name != owner.Name {
				t.Fatalf("n=%d Owners(%q,%d) = %d members, first %s; owner %s", n, k, want, len(got), got[0].Name, owner.Name)
			}
			seen := map[string]bool{}
			for _, m := range got {
				if seen[m.Name] {
					t.Fatalf("n=%d Owners(%q,%d) repeats %s", n, k, want, m.Name)
				}
				seen[m.Name] = true
			}
		}
	}
	if got := r.Owners(keys[0], 0); got != nil {
		t.Fatalf("Owners(k, 0) = %v", got)
	}
}

// TestRingBuildFailureIsRecovered forces consistent into its "not enough
// room" panic (a load factor below 1 cannot place every partition).
func TestRingBuildFailureIsRecovered(t *testing.T) {
	p := ringParams{PartitionCount: 271, ReplicationFactor: 20, Load: 0.5}
	_, err := buildRing(p, names(3), "")
	if !errors.Is(err, ErrRingBuild) {
		t.Fatalf("err = %v, want ErrRingBuild", err)
	}
	if _, err := buildRing(DefaultConfig().ringParams(), nil, ""); !errors.Is(err, ErrRingBuild) {
		t.Fatalf("empty member set: err = %v", err)
	}
}

// TestBalance measures max/mean keys per member over 10,000 random keys
// (and 100,000 for a steadier figure). The bound is 1.25.
func TestBalance(t *testing.T) {
	p := DefaultConfig().ringParams()
	small, large := randomKeys(10000, 11), randomKeys(100000, 12)
	for _, n := range []int{3, 5, 10} {
		r, err := buildRing(p, names(n), "")
		if err != nil {
			t.Fatal(err)
		}
		b10k, b100k := balance(r, small), balance(r, large)
		t.Logf("members=%d max/mean keys: %.3f (10k keys), %.3f (100k keys)", n, b10k, b100k)
		if b10k > 1.25 || b100k > 1.25 {
			t.Errorf("members=%d: max/mean %.3f / %.3f > 1.25", n, b10k, b100k)
		}
	}
}

// TestMovement measures the fraction of keys that change owner when a node
// joins (n → n+1) against the ideal 1/(n+1); a leave (n+1 → n) moves the
// same keys back. The bound is 1.3 × ideal.
func TestMovement(t *testing.T) {
	p := DefaultConfig().ringParams()
	keys := randomKeys(100000, 13)
	for _, n := range []int{3, 5, 10} {
		a, errA := buildRing(p, names(n), "")
		b, errB := buildRing(p, names(n+1), "")
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		ideal := 1 / float64(n+1)
		m := moved(a, b, keys)
		t.Logf("members %d→%d: moved %.4f of keys, ideal %.4f, ratio %.3f", n, n+1, m, ideal, m/ideal)
		if m > 1.3*ideal {
			t.Errorf("members %d→%d moved %.4f > 1.3 × %.4f", n, n+1, m, ideal)
		}
	}
}

func BenchmarkOwner(b *testing.B) {
	r, err := buildRing(DefaultConfig().ringParams(), names(10), "node-03")
	if err != nil {
		b.Fatal(err)
	}
	c := &Cluster{}
	c.ring.Store(r)
	keys := randomKeys(1024, 3)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			c.Owner(keys[i&1023])
			i++
		}
	})
}

func BenchmarkBuildRing(b *testing.B) {
	for _, n := range []int{5, 64} {
		ms := names(n)
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := buildRing(DefaultConfig().ringParams(), ms, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A rebuild over the same member names (only their metadata changed) keeps
// the placement, the version and every owner, and shares the placement.
func TestRebuildWithTheSameNamesReusesThePlacement(t *testing.T) {
	p := ringParams{PartitionCount: 271, ReplicationFactor: 20, Load: 1.25}
	members := []Member{{Name: "c", InternalAddr: "c:1"}, {Name: "a", InternalAddr: "a:1"}, {Name: "b", InternalAddr: "b:1"}}
	prev, err := buildRing(p, members, "a")
	if err != nil {
		t.Fatal(err)
	}
	updated := []Member{{Name: "b", InternalAddr: "b:2", RingVersion: 7}, {Name: "c", InternalAddr: "c:1"}, {Name: "a", InternalAddr: "a:1"}}
	next, err := rebuildRing(p, prev, updated, "a")
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := buildRing(p, updated, "a")
	if next.Version() != fresh.Version() || &next.owner[0] != &prev.owner[0] {
		t.Fatalf("version %d (fresh %d); placement shared: %v", next.Version(), fresh.Version(), &next.owner[0] == &prev.owner[0])
	}
	for i := range 1000 {
		key := []byte(fmt.Sprint("key-", i))
		a, selfA := next.Owner(key)
		b, selfB := fresh.Owner(key)
		if a.Name != b.Name || a.InternalAddr != b.InternalAddr || selfA != selfB {
			t.Fatalf("key %d: reused %+v, fresh %+v", i, a, b)
		}
	}
	if m := next.Members(); m[1].InternalAddr != "b:2" || m[1].RingVersion != 7 || m[1].Share == 0 {
		t.Fatalf("metadata not taken from the new members: %+v", m[1])
	}
	// Another member set is placed afresh.
	grown, err := rebuildRing(p, prev, append(updated, Member{Name: "d"}), "a")
	if err != nil || grown.Len() != 4 || grown.Version() == prev.Version() {
		t.Fatalf("a new member set: %v, %d members", err, grown.Len())
	}
}
