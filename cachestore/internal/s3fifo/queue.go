package s3fifo

// ref names a slot at one moment of its life: gen changes when the slot is
// freed, so a ref left behind in a queue by Remove is recognised as stale.
type ref struct {
	id  int32
	gen uint32
}

// queue is a growable ring of refs: push at the back, pop at the front.
// The zero value is an empty queue. Not safe for concurrent use.
type queue struct {
	buf  []ref
	head int
	n    int
}

func (q *queue) len() int { return q.n }

func (q *queue) push(r ref) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.n)%len(q.buf)] = r
	q.n++
}

// pop removes and returns the front ref; ok is false when q is empty.
func (q *queue) pop() (r ref, ok bool) {
	if q.n == 0 {
		return ref{}, false
	}
	r = q.buf[q.head]
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return r, true
}

func (q *queue) grow() {
	size := 2 * len(q.buf)
	if size < 16 {
		size = 16
	}
	q.rebuild(size, func(ref) bool { return true })
}

// filter keeps, in order, only the refs for which keep returns true.
func (q *queue) filter(keep func(ref) bool) {
	q.rebuild(len(q.buf), keep)
}

func (q *queue) rebuild(size int, keep func(ref) bool) {
	buf := make([]ref, size)
	n := 0
	for i := 0; i < q.n; i++ {
		r := q.buf[(q.head+i)%len(q.buf)]
		if keep(r) {
			buf[n] = r
			n++
		}
	}
	q.buf, q.head, q.n = buf, 0, n
}
