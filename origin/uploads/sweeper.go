package uploads

import (
	"context"
	"errors"
	"sync"
	"time"
)

// sweepTimeout bounds one sweep pass.
const sweepTimeout = 2 * time.Minute

// Sweeper aborts expired uploads: it discards their staged bytes in MinIO
// and their ledger rows, so MinIO's own 24-hour cleanup never has to. It
// skips an upload whose lease is held (a request is still on it; the next
// pass retries). Several processes may sweep at once.
type Sweeper struct {
	cfg  Config
	deps Deps

	start sync.Once
	close sync.Once
	stop  chan struct{}
	done  chan struct{}
}

// NewSweeper returns a stopped sweeper; Start runs it, Close stops it.
func NewSweeper(cfg Config, deps Deps) (*Sweeper, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := deps.validate(); err != nil {
		return nil, err
	}
	return &Sweeper{cfg: cfg, deps: deps, stop: make(chan struct{}), done: make(chan struct{})}, nil
}

// Start sweeps every Config.SweepInterval in a goroutine owned by the
// sweeper, until Close. Errors of a pass go to onError (nil: ignored).
func (s *Sweeper) Start(onError func(error)) {
	s.start.Do(func() {
		go s.loop(onError)
	})
}

func (s *Sweeper) loop(onError func(error)) {
	defer close(s.done)
	ticker := time.NewTicker(s.cfg.SweepInterval)
	defer ticker.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-ticker.C:
			ctx, cancel := context.WithTimeout(context.Background(), sweepTimeout)
			_, err := s.Sweep(ctx)
			cancel()
			if err != nil && onError != nil {
				onError(err)
			}
		}
	}
}

// Close stops the sweeper and waits for a pass in progress; it is
// idempotent and safe without Start.
func (s *Sweeper) Close() {
	s.close.Do(func() {
		close(s.stop)
		s.start.Do(func() { close(s.done) }) // never started: nothing to wait for
	})
	<-s.done
}

// Sweep runs one pass and returns how many uploads it removed. It goes on
// past an upload it cannot remove and returns the errors joined.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	expired, err := s.deps.Ledger.ExpiredUploads(ctx, s.cfg.SweepBatch)
	if err != nil {
		return 0, err
	}
	removed, errs := 0, []error(nil)
	for _, row := range expired {
		ok, err := s.sweepOne(ctx, row)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			removed++
		}
	}
	return removed, errors.Join(errs...)
}

// sweepOne removes one expired upload under its lease; false without error
// when a request holds the lease.
func (s *Sweeper) sweepOne(ctx context.Context, row Upload) (bool, error) {
	holder := "sweeper-" + newHolder()
	locks := s.deps.Locks
	got, err := locks.TryAcquire(ctx, row.Tenant, row.ID, holder, s.cfg.LockTTL)
	if err != nil || !got {
		return false, err
	}
	defer locks.Release(context.WithoutCancel(ctx), row.Tenant, row.ID, holder)
	if err := discard(ctx, s.deps, row); err != nil {
		return false, err
	}
	err = s.deps.Ledger.DeleteUpload(ctx, row.Tenant, row.ID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
