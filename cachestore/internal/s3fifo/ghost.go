package s3fifo

// ghost remembers the hashes (not the data) of objects recently evicted
// from the small queue, up to a byte budget, so that an object that comes
// back soon after is admitted straight to the main queue.
// Not safe for concurrent use.
type ghost struct {
	capacity int64
	bytes    int64
	seq      uint32
	index    map[uint64]uint32 // hash → seq of its live ring record
	ring     []ghostRecord
	head     int
}

type ghostRecord struct {
	hash uint64
	size int64
	seq  uint32
}

func newGhost(capacity int64) *ghost {
	return &ghost{capacity: capacity, index: make(map[uint64]uint32)}
}

// add records h; an older record of h becomes stale.
func (g *ghost) add(h uint64, size int64) {
	if size > g.capacity {
		return
	}
	g.seq++
	g.index[h] = g.seq
	g.ring = append(g.ring, ghostRecord{hash: h, size: size, seq: g.seq})
	g.bytes += size
	for g.bytes > g.capacity {
		g.popOldest()
	}
	if g.head > len(g.ring)/2 && g.head > 1024 {
		g.ring = append([]ghostRecord(nil), g.ring[g.head:]...)
		g.head = 0
	}
}

func (g *ghost) popOldest() {
	r := g.ring[g.head]
	g.ring[g.head] = ghostRecord{}
	g.head++
	g.bytes -= r.size
	if seq, ok := g.index[r.hash]; ok && seq == r.seq {
		delete(g.index, r.hash)
	}
}

// take reports whether h is remembered and forgets it.
func (g *ghost) take(h uint64) bool {
	if _, ok := g.index[h]; !ok {
		return false
	}
	delete(g.index, h)
	return true
}

func (g *ghost) setCapacity(c int64) {
	g.capacity = c
	for g.bytes > g.capacity && g.head < len(g.ring) {
		g.popOldest()
	}
}
