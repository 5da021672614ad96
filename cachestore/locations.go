package cachestore

// loc is a pointer as kept in memory: segment offsets stay below 1 GiB
// (Config.SegmentBytes; a bigger frame starts its own segment at 0) and
// frames below 4 GiB, so 12 bytes an entry.
type loc struct{ seg, off, n uint32 }

func (l loc) pointer() pointer { return pointer{seg: l.seg, off: int64(l.off), n: int64(l.n)} }

func locOf(p pointer) loc { return loc{seg: p.seg, off: uint32(p.off), n: uint32(p.n)} }

// recordChange is a committed change of a key hash's record: its new
// pointer, or its deletion (del).
type recordChange struct {
	h   uint64
	p   pointer
	del bool
}

// land applies committed changes to the locations and live bytes. The
// writer calls it from the commit callback, before the key locks are
// released, so the next change of a key (which needs its lock) always
// finds the previous one applied.
func (s *segments) land(changes []recordChange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range changes {
		if old, ok := s.locs.get(c.h); ok {
			s.addLiveLocked(old.seg, -int64(old.n))
		}
		if c.del {
			s.locs.del(c.h)
			continue
		}
		s.locs.put(c.h, locOf(c.p))
		s.addLiveLocked(c.p.seg, c.p.n)
	}
}

// addLiveLocked adds n live bytes to segment id, if it still exists.
// Callers hold mu.
func (s *segments) addLiveLocked(id uint32, n int64) {
	if _, ok := s.files[id]; ok {
		s.live[id] += n
	}
}

// locate returns where h's committed frame is.
func (s *segments) locate(h uint64) (pointer, bool) {
	s.mu.RLock()
	l, ok := s.locs.get(h)
	s.mu.RUnlock()
	return l.pointer(), ok
}

// preload records, while opening, that the record of hs[i] points at
// ps[i], and reports which of those frames are there (see has).
func (s *segments) preload(hs []uint64, ps []pointer) (there []bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locs.len() == 0 {
		s.locs = newLocTable(len(hs))
	}
	there = make([]bool, len(hs))
	for i, h := range hs {
		p := ps[i]
		s.locs.put(h, locOf(p))
		if seg := s.files[p.seg]; seg != nil {
			s.live[p.seg] += p.n
			there[i] = p.off+p.n <= seg.size.Load()
		}
	}
	return there
}
