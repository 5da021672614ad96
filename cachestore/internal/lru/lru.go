// Package lru is an exact, byte-weighted least-recently-used policy over
// object hashes: the baseline pixcdn's policy is measured against.
// An LRU is not safe for concurrent use.
package lru

import "container/list"

type object struct {
	hash uint64
	size int64
}

// LRU evicts the least recently added or hit object until its bytes fit.
type LRU struct {
	capacity int64
	bytes    int64
	order    *list.List // front = most recent
	index    map[uint64]*list.Element
}

// New returns an empty LRU holding at most capacity bytes.
func New(capacity int64) *LRU {
	return &LRU{capacity: capacity, order: list.New(), index: make(map[uint64]*list.Element)}
}

// Len returns the number of objects held.
func (l *LRU) Len() int { return len(l.index) }

// Bytes returns the sum of the sizes held.
func (l *LRU) Bytes() int64 { return l.bytes }

// Hit marks h most recent and reports whether it is held.
func (l *LRU) Hit(h uint64) bool {
	e, ok := l.index[h]
	if ok {
		l.order.MoveToFront(e)
	}
	return ok
}

// Add inserts (or resizes) h as most recent and evicts from the back until
// the budget holds. It returns false when size alone exceeds the budget.
func (l *LRU) Add(h uint64, size int64) bool {
	if size > l.capacity {
		return false
	}
	if e, ok := l.index[h]; ok {
		o := e.Value.(*object)
		l.bytes += size - o.size
		o.size = size
		l.order.MoveToFront(e)
	} else {
		l.index[h] = l.order.PushFront(&object{hash: h, size: size})
		l.bytes += size
	}
	for l.bytes > l.capacity {
		back := l.order.Back()
		o := back.Value.(*object)
		l.order.Remove(back)
		delete(l.index, o.hash)
		l.bytes -= o.size
	}
	return true
}
