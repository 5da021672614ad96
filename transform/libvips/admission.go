package libvips

import (
	"context"
	"sync/atomic"

	"pixcdn/transform"
)

// admission bounds CPU work: at most cap(slots) transforms run, at most
// queueDepth wait, and the next caller fails at once with ErrOverloaded.
// Safe for concurrent use.
type admission struct {
	slots      chan struct{}
	waiting    atomic.Int64
	queueDepth int64
}

func newAdmission(workers, queueDepth int) *admission {
	return &admission{slots: make(chan struct{}, workers), queueDepth: int64(queueDepth)}
}

// acquire takes a worker slot, waiting in the bounded queue if needed. It
// returns ErrOverloaded when the queue is full and ctx.Err() if ctx ends
// while waiting. On nil the caller must call release.
func (a *admission) acquire(ctx context.Context) error {
	select {
	case a.slots <- struct{}{}:
		return nil
	default:
	}
	if a.waiting.Add(1) > a.queueDepth {
		a.waiting.Add(-1)
		return transform.ErrOverloaded
	}
	defer a.waiting.Add(-1)
	select {
	case a.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *admission) release() { <-a.slots }

// load returns how many transforms hold a worker and how many wait.
func (a *admission) load() (running, waiting int) {
	return len(a.slots), int(a.waiting.Load())
}
