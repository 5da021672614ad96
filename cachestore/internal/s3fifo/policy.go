// Package s3fifo is a byte-weighted S3-FIFO admission and eviction policy
// (Yang et al., "FIFO queues are all you need for cache eviction", SOSP'23).
//
// New objects enter a small FIFO queue (10% of the byte budget). Objects
// that are hit while there move to the main FIFO queue when they reach its
// tail; the rest are evicted early and remembered in a ghost queue, so that
// one-hit wonders and scans never push the working set out. An object that
// returns while still remembered by the ghost goes straight to main. Main is
// a FIFO with lazy promotion: an object at its tail that was hit since its
// last pass is reinserted with one hit fewer, the others are evicted.
//
// The policy tracks 64-bit hashes and sizes only; the caller keeps the data
// and deletes it when told to. A Policy is not safe for concurrent use.
package s3fifo

const (
	maxFreq = 3
	// smallShare is the share of the budget, in percent, for the small queue.
	smallShare = 10
)

type slot struct {
	hash   uint64
	size   int64
	gen    uint32
	freq   uint8
	inMain bool
}

// Policy is a byte-bounded S3-FIFO over object hashes. The zero value is
// not usable; call New.
type Policy struct {
	capacity   int64
	smallCap   int64
	index      map[uint64]int32 // hash → slot id
	slots      []slot
	free       []int32
	small      queue
	main       queue
	smallBytes int64
	mainBytes  int64
	ghost      *ghost
	evictions  uint64
}

// New returns an empty policy holding at most capacity bytes.
func New(capacity int64) *Policy {
	p := &Policy{index: make(map[uint64]int32), ghost: newGhost(0)}
	p.SetCapacity(capacity, nil)
	return p
}

// Len returns the number of objects tracked.
func (p *Policy) Len() int { return len(p.index) }

// Bytes returns the sum of the sizes of the objects tracked.
func (p *Policy) Bytes() int64 { return p.smallBytes + p.mainBytes }

// Capacity returns the byte budget.
func (p *Policy) Capacity() int64 { return p.capacity }

// Evictions returns how many objects were evicted to make room, in total.
func (p *Policy) Evictions() uint64 { return p.evictions }

// Contains reports whether h is tracked, without counting a hit.
func (p *Policy) Contains(h uint64) bool {
	_, ok := p.index[h]
	return ok
}

// Hit records an access to h and reports whether h is tracked.
func (p *Policy) Hit(h uint64) bool {
	id, ok := p.index[h]
	if ok && p.slots[id].freq < maxFreq {
		p.slots[id].freq++
	}
	return ok
}

// SetCapacity changes the byte budget and evicts until the objects fit,
// calling evict (which may be nil) with each evicted hash.
func (p *Policy) SetCapacity(capacity int64, evict func(h uint64)) {
	if capacity < 0 {
		capacity = 0
	}
	p.capacity = capacity
	p.smallCap = capacity * smallShare / 100
	p.ghost.setCapacity(capacity - p.smallCap)
	p.evictToFit(evict)
}

// Add inserts h with the given size, or updates the size of a tracked h,
// then evicts until the budget holds, calling evict (which may be nil) with
// each evicted hash; h itself is never reported to evict. It returns false,
// and stops tracking h, when size alone exceeds the budget.
func (p *Policy) Add(h uint64, size int64, evict func(h uint64)) bool {
	if size > p.capacity {
		p.Remove(h)
		return false
	}
	if id, ok := p.index[h]; ok {
		p.resize(id, size)
	} else {
		p.insert(h, size, p.ghost.take(h))
	}
	p.evictToFit(func(victim uint64) {
		if victim != h && evict != nil {
			evict(victim)
		}
	})
	return p.Contains(h)
}

// Remove stops tracking h and reports whether it was tracked. It is not
// counted as an eviction and h is not remembered by the ghost queue.
func (p *Policy) Remove(h uint64) bool {
	id, ok := p.index[h]
	if !ok {
		return false
	}
	p.release(id)
	p.compactIfSparse()
	return true
}

func (p *Policy) insert(h uint64, size int64, toMain bool) {
	var id int32
	if n := len(p.free); n > 0 {
		id, p.free = p.free[n-1], p.free[:n-1]
	} else {
		p.slots = append(p.slots, slot{})
		id = int32(len(p.slots) - 1)
	}
	s := &p.slots[id]
	s.hash, s.size, s.freq, s.inMain = h, size, 0, toMain
	p.index[h] = id
	if toMain {
		p.main.push(ref{id, s.gen})
		p.mainBytes += size
	} else {
		p.small.push(ref{id, s.gen})
		p.smallBytes += size
	}
}

func (p *Policy) resize(id int32, size int64) {
	s := &p.slots[id]
	if s.inMain {
		p.mainBytes += size - s.size
	} else {
		p.smallBytes += size - s.size
	}
	s.size = size
}

// release frees slot id; refs to it in the queues become stale.
func (p *Policy) release(id int32) {
	s := &p.slots[id]
	if s.inMain {
		p.mainBytes -= s.size
	} else {
		p.smallBytes -= s.size
	}
	delete(p.index, s.hash)
	s.gen++
	p.free = append(p.free, id)
}

func (p *Policy) live(r ref) bool { return p.slots[r.id].gen == r.gen }

// compactIfSparse drops stale refs once they outnumber live objects, so
// that queues stay proportional to what is tracked under heavy Remove use.
func (p *Policy) compactIfSparse() {
	if p.small.len()+p.main.len() > 2*len(p.index)+1024 {
		p.small.filter(p.live)
		p.main.filter(p.live)
	}
}

// Preload tracks h for rebuilding a policy from storage: it goes straight
// to main with no hits and nothing is evicted. h must not be tracked yet
// (this is not checked: a rebuild reads each key once, and one map lookup
// fewer per object is a third of a rebuild's cost). It returns false,
// tracking nothing, when h would not fit the budget; the caller then
// deletes that object.
func (p *Policy) Preload(h uint64, size int64) bool {
	if p.Bytes()+size > p.capacity {
		return false
	}
	p.insert(h, size, true)
	return true
}

// Reserve prepares an empty policy for n objects, so that a rebuild does
// not grow its index step by step.
func (p *Policy) Reserve(n int) {
	if len(p.index) == 0 && n > 0 {
		p.index = make(map[uint64]int32, n)
		p.slots = make([]slot, 0, n)
	}
}
