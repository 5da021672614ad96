package cachestore

// locTable maps key hashes to locs: open addressing with linear probing
// and backward-shift deletion, a slot's home being the hash's top bits.
// The hashes are xxhash values, already uniform; and since Badger lists
// records in key order, which is hash order, filling the table on open
// walks memory sequentially (a Go map took a cache miss per entry, a third
// of the open time). The zero value is an empty table. Not safe for
// concurrent use.
type locTable struct {
	slots   []locSlot // len is 0 or a power of two; h == 0 marks a free slot
	shift   uint      // 64 − log2(len(slots))
	n       int       // used slots
	zero    loc       // the loc of hash 0, which cannot be stored in a slot
	hasZero bool
}

type locSlot struct {
	h uint64
	l loc
}

// newLocTable returns a table that holds n hashes without growing.
func newLocTable(n int) *locTable {
	t := &locTable{}
	t.resize(n)
	return t
}

// resize makes room for n hashes at most 3/4 full, keeping the contents.
func (t *locTable) resize(n int) {
	size, bits := 16, uint(4)
	for size*3 < n*4 {
		size, bits = size*2, bits+1
	}
	old := t.slots
	t.slots, t.shift, t.n = make([]locSlot, size), 64-bits, 0
	for _, s := range old {
		if s.h != 0 {
			t.put(s.h, s.l)
		}
	}
}

func (t *locTable) home(h uint64) int { return int(h >> t.shift) }

// get returns the loc of h.
func (t *locTable) get(h uint64) (loc, bool) {
	if h == 0 {
		if !t.hasZero {
			return loc{}, false
		}
		return t.zero, true
	}
	if len(t.slots) == 0 {
		return loc{}, false
	}
	mask := len(t.slots) - 1
	for i := t.home(h); ; i = (i + 1) & mask {
		switch t.slots[i].h {
		case h:
			return t.slots[i].l, true
		case 0:
			return loc{}, false
		}
	}
}

// put sets the loc of h.
func (t *locTable) put(h uint64, l loc) {
	if h == 0 {
		t.zero, t.hasZero = l, true
		return
	}
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(2 * (t.n + 1))
	}
	mask := len(t.slots) - 1
	for i := t.home(h); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.h == h {
			s.l = l
			return
		}
		if s.h == 0 {
			s.h, s.l = h, l
			t.n++
			return
		}
	}
}

// del removes h, shifting back the slots after it that would otherwise
// become unreachable from their homes.
func (t *locTable) del(h uint64) {
	if h == 0 {
		t.hasZero = false
		return
	}
	if len(t.slots) == 0 {
		return
	}
	mask := len(t.slots) - 1
	i := t.home(h)
	for ; t.slots[i].h != h; i = (i + 1) & mask {
		if t.slots[i].h == 0 {
			return
		}
	}
	for j := (i + 1) & mask; t.slots[j].h != 0; j = (j + 1) & mask {
		k := t.home(t.slots[j].h)
		// The slot at j may move to the hole at i unless its home lies
		// cyclically in (i, j].
		if (i < j && i < k && k <= j) || (i > j && (i < k || k <= j)) {
			continue
		}
		t.slots[i] = t.slots[j]
		i = j
	}
	t.slots[i] = locSlot{}
	t.n--
}

// len returns the number of hashes held.
func (t *locTable) len() int {
	if t.hasZero {
		return t.n + 1
	}
	return t.n
}
