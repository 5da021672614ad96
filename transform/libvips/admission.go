package libvips

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"pixcdn/transform"
)

// admission bounds CPU work: at most cap(slots) transforms run, at most
// queueDepth wait, each for at most maxWait, and a caller past either bound
// fails with ErrOverloaded: an overloaded node says so fast instead of
// holding requests. Safe for concurrent use.
type admission struct {
	slots      chan struct{}
	waiting    atomic.Int64
	queueDepth int64
	maxWait    time.Duration
}

func newAdmission(workers, queueDepth int, maxWait time.Duration) *admission {
	return &admission{slots: make(chan struct{}, workers), queueDepth: int64(queueDepth), maxWait: maxWait}
}

// acquire takes a worker slot, waiting in the bounded queue if needed. It
// returns ErrOverloaded when the queue is full or no slot freed within
// maxWait, and ctx.Err() if ctx ends while waiting. On nil the caller must
// call release.
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
	timer := time.NewTimer(a.maxWait)
	defer timer.Stop()
	select {
	case a.slots <- struct{}{}:
		return nil
	case <-timer.C:
		return fmt.Errorf("%w: no worker free within %v", transform.ErrOverloaded, a.maxWait)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *admission) release() { <-a.slots }

// load returns how many transforms hold a worker and how many wait.
func (a *admission) load() (running, waiting int) {
	return len(a.slots), int(a.waiting.Load())
}
