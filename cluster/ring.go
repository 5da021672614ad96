package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/buraksezer/consistent"
	"github.com/cespare/xxhash/v2"
)

// ErrRingBuild reports that the consistent-hash library could not place every
// partition for a member set. The previous ring stays in force.
var ErrRingBuild = errors.New("cluster: ring rebuild failed")

// ringParams are the inputs that decide placement (Config.PartitionCount,
// ReplicationFactor and Load). They are folded into the ring version and the
// metadata fingerprint, so nodes with different values never agree.
type ringParams struct {
	PartitionCount    int
	ReplicationFactor int
	Load              float64
}

// fingerprint hashes the parameters and the placement algorithm's identity.
func (p ringParams) fingerprint() uint64 {
	s := fmt.Sprintf("consistent/v1.0.0 xxhash64 p=%d r=%d l=%g",
		p.PartitionCount, p.ReplicationFactor, p.Load)
	return xxhash.Sum64String(s)
}

type hasher struct{}

func (hasher) Sum64(b []byte) uint64 { return xxhash.Sum64(b) }

type ringMember string

func (m ringMember) String() string { return string(m) }

// Ring is an immutable snapshot of key ownership for one member set. All
// methods are safe for concurrent use, never block and never allocate except
// Owners and Members, whose returned slices belong to the caller.
type Ring struct {
	version    uint64
	partitions uint64
	members    []Member // sorted by name; Member.Partitions/Share filled in
	owner      []uint16 // partition -> index into members
	self       int      // index of the local node, -1 if absent
}

// ringVersion is a deterministic function of the parameters and the sorted
// member names, so every node with the same view computes the same value.
func ringVersion(p ringParams, sortedNames []string) uint64 {
	d := xxhash.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], p.fingerprint())
	_, _ = d.Write(b[:])
	for _, n := range sortedNames {
		_, _ = d.WriteString(n)
		_, _ = d.Write([]byte{0})
	}
	v := d.Sum64()
	if v == 0 { // 0 means "no ring yet" in metadata
		v = 1
	}
	return v
}

// buildRing places every partition on members. It never panics: a failure of
// the consistent library is returned as ErrRingBuild. members must have unique
// names; self names the local node ("" for none).
func buildRing(p ringParams, members []Member, self string) (r *Ring, err error) {
	if len(members) == 0 || len(members) > math.MaxUint16 {
		return nil, fmt.Errorf("%w: %d members", ErrRingBuild, len(members))
	}
	ms := slices.Clone(members)
	slices.SortFunc(ms, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	names := make([]string, len(ms))
	cm := make([]consistent.Member, len(ms))
	for i, m := range ms {
		names[i], cm[i] = m.Name, ringMember(m.Name)
	}
	defer func() {
		if rec := recover(); rec != nil {
			r, err = nil, fmt.Errorf("%w: %d members: %v", ErrRingBuild, len(ms), rec)
		}
	}()
	c := consistent.New(cm, consistent.Config{
		Hasher: hasher{}, PartitionCount: p.PartitionCount,
		ReplicationFactor: p.ReplicationFactor, Load: p.Load,
	})
	r = &Ring{version: ringVersion(p, names), partitions: uint64(p.PartitionCount), members: ms, self: -1}
	r.owner = make([]uint16, p.PartitionCount)
	for part := range r.owner {
		o := c.GetPartitionOwner(part)
		if o == nil {
			return nil, fmt.Errorf("%w: partition %d has no owner", ErrRingBuild, part)
		}
		i, _ := slices.BinarySearch(names, o.String())
		r.owner[part] = uint16(i)
		r.members[i].Partitions++
	}
	for i := range r.members {
		r.members[i].Share = float64(r.members[i].Partitions) / float64(p.PartitionCount)
		r.members[i].RingVersion = ms[i].RingVersion
		if ms[i].Name == self {
			r.self = i
		}
	}
	return r, nil
}

// rebuildRing is buildRing that reuses prev's placement when members have
// the same names as prev's (placement depends only on the names and the
// parameters): a member's metadata changing, as its advertised ring version
// does after every ring change, then costs a copy, not a placement of
// every partition.
func rebuildRing(p ringParams, prev *Ring, members []Member, self string) (*Ring, error) {
	if prev == nil || len(members) != len(prev.members) {
		return buildRing(p, members, self)
	}
	ms := slices.Clone(members)
	slices.SortFunc(ms, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	for i := range ms {
		if ms[i].Name != prev.members[i].Name {
			return buildRing(p, members, self)
		}
		ms[i].Partitions, ms[i].Share = prev.members[i].Partitions, prev.members[i].Share
	}
	r := &Ring{version: prev.version, partitions: prev.partitions, members: ms, owner: prev.owner, self: -1}
	for i := range ms {
		if ms[i].Name == self {
			r.self = i
		}
	}
	return r, nil
}

// Version identifies the member set and parameters this ring was built from.
func (r *Ring) Version() uint64 { return r.version }

// partition maps a key to its partition the same way consistent.FindPartitionID does.
func (r *Ring) partition(key []byte) int { return int(xxhash.Sum64(key) % r.partitions) }

// Owner returns the member owning key and whether it is the local node.
func (r *Ring) Owner(key []byte) (Member, bool) {
	i := int(r.owner[r.partition(key)])
	return r.members[i], i == r.self
}

// Owners returns up to n distinct members for key in fallback order: the
// owner first, then the others ranked by rendezvous hashing of (partition,
// name), so a lost owner's keys spread over all survivors. The slice is new.
func (r *Ring) Owners(key []byte, n int) []Member {
	n = min(n, len(r.members))
	if n <= 0 {
		return nil
	}
	part := r.partition(key)
	first := int(r.owner[part])
	type ranked struct {
		score uint64
		idx   int
	}
	rest := make([]ranked, 0, len(r.members)-1)
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(part))
	for i, m := range r.members {
		if i != first {
			rest = append(rest, ranked{xxhash.Sum64String(string(buf[:]) + m.Name), i})
		}
	}
	slices.SortFunc(rest, func(a, b ranked) int { return -cmpUint64(a.score, b.score) })
	out := make([]Member, 0, n)
	out = append(out, r.members[first])
	for _, x := range rest[:n-1] {
		out = append(out, r.members[x.idx])
	}
	return out
}

func cmpUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Members returns the members sorted by name, each with its ring share. The
// slice is new and belongs to the caller.
func (r *Ring) Members() []Member { return slices.Clone(r.members) }

// Len reports the number of members.
func (r *Ring) Len() int { return len(r.members) }
