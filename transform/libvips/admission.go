package libvips

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"pixcdn/transform"
)

// admission bounds CPU work: at most workers transforms run and at most
// queueDepth wait, each for at most maxWait; a caller past either bound
// fails with ErrOverloaded, so an overloaded node says so fast instead of
// holding requests. A freed worker goes to the clients with waiting work
// in turn (transform.ClientOf), so one client's backlog does not delay
// the others by more than one transform each. Safe for concurrent use.
type admission struct {
	workers    int
	queueDepth int
	maxWait    time.Duration

	mu      sync.Mutex
	running int
	waiting int
	queues  map[string][]*waiter // waiters by client, oldest first
	order   []string             // clients with waiters, in turn order
	next    int                  // index in order of the client served next
}

// waiter is one caller waiting for a worker.
type waiter struct {
	client  string
	ready   chan struct{} // closed when granted
	granted bool          // guarded by admission.mu
}

func newAdmission(workers, queueDepth int, maxWait time.Duration) *admission {
	return &admission{workers: workers, queueDepth: queueDepth, maxWait: maxWait, queues: map[string][]*waiter{}}
}

// acquire takes a worker, waiting in the bounded queue if needed. It
// returns ErrOverloaded when the queue is full or no worker was granted
// within maxWait, and ctx.Err() if ctx ends while waiting. On nil the
// caller must call release.
//
// Background work (transform.IsBackground) takes a worker only when none
// is busy and nobody waits, and otherwise fails at once with
// ErrOverloaded: it never waits in the queue ahead of a request.
func (a *admission) acquire(ctx context.Context) error {
	a.mu.Lock()
	if a.running < a.workers && a.waiting == 0 {
		if transform.IsBackground(ctx) && a.running > 0 {
			a.mu.Unlock()
			return fmt.Errorf("%w: busy, background work dropped", transform.ErrOverloaded)
		}
		a.running++
		a.mu.Unlock()
		return nil
	}
	if transform.IsBackground(ctx) {
		a.mu.Unlock()
		return fmt.Errorf("%w: busy, background work dropped", transform.ErrOverloaded)
	}
	if a.waiting >= a.queueDepth {
		a.mu.Unlock()
		return transform.ErrOverloaded
	}
	w := &waiter{client: transform.ClientOf(ctx), ready: make(chan struct{})}
	a.enqueue(w)
	a.mu.Unlock()

	timer := time.NewTimer(a.maxWait)
	defer timer.Stop()
	var err error
	select {
	case <-w.ready:
		return nil
	case <-timer.C:
		err = fmt.Errorf("%w: no worker free within %v", transform.ErrOverloaded, a.maxWait)
	case <-ctx.Done():
		err = ctx.Err()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if w.granted { // granted while giving up: pass the worker on
		a.handOver()
	} else {
		a.dequeue(w)
	}
	return err
}

// release returns a worker taken by a successful acquire.
func (a *admission) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.handOver()
}

// handOver gives the worker of a finished transform to the next client in
// turn, or frees it. Callers hold mu.
func (a *admission) handOver() {
	if len(a.order) == 0 {
		a.running--
		return
	}
	if a.next >= len(a.order) {
		a.next = 0
	}
	client := a.order[a.next]
	q := a.queues[client]
	w := q[0]
	if len(q) == 1 {
		delete(a.queues, client)
		a.order = slices.Delete(a.order, a.next, a.next+1)
	} else {
		a.queues[client] = q[1:]
		a.next++
	}
	a.waiting--
	w.granted = true
	close(w.ready)
}

// enqueue adds w to its client's queue. Callers hold mu.
func (a *admission) enqueue(w *waiter) {
	q, ok := a.queues[w.client]
	if !ok {
		a.order = append(a.order, w.client)
	}
	a.queues[w.client] = append(q, w)
	a.waiting++
}

// dequeue removes w, which gave up before being granted. Callers hold mu.
func (a *admission) dequeue(w *waiter) {
	q := a.queues[w.client]
	if i := slices.Index(q, w); i >= 0 {
		q = slices.Delete(q, i, i+1)
		a.waiting--
	}
	if len(q) > 0 {
		a.queues[w.client] = q
		return
	}
	delete(a.queues, w.client)
	if i := slices.Index(a.order, w.client); i >= 0 {
		a.order = slices.Delete(a.order, i, i+1)
		if i < a.next {
			a.next--
		}
	}
}

// load returns how many transforms hold a worker and how many wait.
func (a *admission) load() (running, waiting int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.running, a.waiting
}
