package edge

import "sync"

// purgeLog remembers the origin events (by PurgeRequest.DedupKey) whose
// application began, the last n of them, and whether it is done. Safe for
// concurrent use.
type purgeLog struct {
	mu   sync.Mutex
	seen map[int64]chan struct{} // closed when the application is done
	ring []int64                 // FIFO of remembered keys
	next int
}

func newPurgeLog(n int) *purgeLog {
	return &purgeLog{seen: make(map[int64]chan struct{}, n), ring: make([]int64, n)}
}

// claim records that the application of the event keyed key begins and
// reports whether this is the first claim within the window. A first
// claimer must call finish; a later one gets a channel that is closed once
// the first application is done (or when key leaves the window). key must
// not be 0.
func (l *purgeLog) claim(key int64) (first bool, done <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ch, ok := l.seen[key]; ok {
		return false, ch
	}
	if old, ok := l.seen[l.ring[l.next]]; ok {
		delete(l.seen, l.ring[l.next])
		closeOnce(old) // nobody will finish it while it is out of the window
	}
	l.ring[l.next] = key
	l.next = (l.next + 1) % len(l.ring)
	l.seen[key] = make(chan struct{})
	return true, nil
}

// finish marks the application of the event keyed key done, waking the
// duplicates waiting for it.
func (l *purgeLog) finish(key int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ch, ok := l.seen[key]; ok {
		closeOnce(ch)
	}
}

// closeOnce closes ch unless it is closed. The caller holds the log's lock.
func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}
