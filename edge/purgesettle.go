package edge

import (
	"context"
	"sync"
	"time"
)

// purgeSettle is how long after an origin event's first application its
// purge is applied once more (Server.settleAfter). Until every edge has
// applied an event, a node that has may refill from a peer that has not (a
// forwarded variant kept as a hot copy, an original from its owner's
// cache) and keep the old version; the second application drops such
// copies. Edges that are reachable apply an event well within it.
const purgeSettle = time.Second

// maxSettling bounds the purges waiting to be applied once more; beyond
// it, new ones are applied once only.
const maxSettling = 4096

// settleQueue holds purges to apply once more, in the order they are due
// (one fixed delay keeps the order). Safe for concurrent use.
type settleQueue struct {
	mu   sync.Mutex
	due  []settlingPurge
	wake chan struct{} // signalled when a purge is added
}

type settlingPurge struct {
	at    time.Time
	purge Purge
}

func newSettleQueue() *settleQueue { return &settleQueue{wake: make(chan struct{}, 1)} }

// add queues purge to be applied again at due. Never blocks.
func (q *settleQueue) add(purge Purge, due time.Time) {
	q.mu.Lock()
	if len(q.due) < maxSettling {
		q.due = append(q.due, settlingPurge{at: due, purge: purge})
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take removes and returns the purges due by now, and how long until the
// next one is due (0 when none waits).
func (q *settleQueue) take(now time.Time) (ready []Purge, wait time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for n < len(q.due) && !q.due[n].at.After(now) {
		ready = append(ready, q.due[n].purge)
		n++
	}
	q.due = append(q.due[:0], q.due[n:]...)
	if len(q.due) > 0 {
		wait = q.due[0].at.Sub(now)
	}
	return ready, wait
}

// settlePurges applies the queued purges once more as they fall due, until
// ctx ends. Start runs it.
func (s *Server) settlePurges(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.settling.wake:
		}
		ready, wait := s.settling.take(time.Now())
		for _, purge := range ready {
			s.purgeLocal(purge)
		}
		if wait <= 0 {
			wait = time.Hour // until the next add wakes the loop
		}
		timer.Reset(wait)
	}
}
