package s3fifo

// moveThreshold is the hit count at which an object leaving the small queue
// is promoted to main rather than evicted.
const moveThreshold = 1

func (p *Policy) evictToFit(evict func(h uint64)) {
	for p.Bytes() > p.capacity {
		h, ok := p.evictOne()
		if !ok {
			return
		}
		p.evictions++
		if evict != nil {
			evict(h)
		}
	}
}

// evictOne evicts one object, from small while it holds at least its share
// (or main is empty), else from main.
func (p *Policy) evictOne() (uint64, bool) {
	if p.smallBytes >= p.smallCap || p.mainBytes == 0 {
		if h, ok := p.evictSmall(); ok {
			return h, true
		}
	}
	if h, ok := p.evictMain(); ok {
		return h, true
	}
	return p.evictSmall()
}

func (p *Policy) evictSmall() (uint64, bool) {
	for {
		r, ok := p.small.pop()
		if !ok {
			return 0, false
		}
		if !p.live(r) {
			continue
		}
		s := &p.slots[r.id]
		if s.freq >= moveThreshold {
			s.freq, s.inMain = 0, true
			p.smallBytes -= s.size
			p.mainBytes += s.size
			p.main.push(r)
			continue
		}
		h, size := s.hash, s.size
		p.release(r.id)
		p.ghost.add(h, size)
		return h, true
	}
}

func (p *Policy) evictMain() (uint64, bool) {
	for {
		r, ok := p.main.pop()
		if !ok {
			return 0, false
		}
		if !p.live(r) {
			continue
		}
		s := &p.slots[r.id]
		if s.freq > 0 {
			s.freq--
			p.main.push(r)
			continue
		}
		h := s.hash
		p.release(r.id)
		return h, true
	}
}
