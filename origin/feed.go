package origin

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"pixcdn/contract"
)

// feed wakes long-polling readers when events are sequenced. Safe for
// concurrent use.
type feed struct {
	mu      sync.Mutex
	changed chan struct{}
}

func newFeed() *feed { return &feed{changed: make(chan struct{})} }

// wait returns a channel closed at the next wake.
func (f *feed) wait() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

// wake closes the current channel and starts a new one.
func (f *feed) wake() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.changed)
	f.changed = make(chan struct{})
}

// OnCommit sets the function called with every event this service
// commits, right after its transaction commits and before the event is
// sequenced (its Seq is 0, its ID set); nil removes it. The function runs
// on the committing request's goroutine and must not block. One function
// at a time: the Publisher sets it.
func (s *Service) OnCommit(f func(contract.Event)) {
	if f == nil {
		s.onCommit.Store(nil)
		return
	}
	s.onCommit.Store(&f)
}

// committed counts a committed event and hands it to the OnCommit function.
// Its debug log gives how long after the event row was written (ev.At) the
// commit returned, the part of the edges' purge lag spent committing.
func (s *Service) committed(ev contract.Event) {
	s.metrics.event(ev.Kind)
	slog.Debug("event committed", "event", ev.ID, "kind", ev.Kind, "commit", time.Since(ev.At))
	if f := s.onCommit.Load(); f != nil {
		(*f)(ev)
	}
}

// Events returns events with Seq > after, in order, at most
// Config.EventBatch. When there are none it waits up to wait (capped at
// Config.MaxEventWait) for some to be sequenced, woken by EventsChanged and
// re-reading every Config.FeedPoll; it then returns what it found, possibly
// nothing. It returns early with no error when ctx ends. Safe for
// concurrent use; the returned slice is the caller's.
func (s *Service) Events(ctx context.Context, after int64, wait time.Duration) ([]contract.Event, error) {
	if after < 0 {
		return nil, fmt.Errorf("%w: after must be ≥ 0", ErrInvalid)
	}
	wait = min(max(wait, 0), s.cfg.MaxEventWait)
	deadline := time.Now().Add(wait)
	poll := time.NewTimer(0)
	defer poll.Stop()
	for {
		woken := s.feed.wait() // taken before the read, so no wake is lost
		evs, err := s.catalog.Events(ctx, after, s.cfg.EventBatch)
		if ctx.Err() != nil {
			return nil, nil // the reader went away
		}
		if err != nil || len(evs) > 0 {
			return evs, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		poll.Reset(min(left, s.cfg.FeedPoll))
		select {
		case <-woken:
		case <-poll.C:
		case <-ctx.Done():
			return nil, nil
		}
	}
}
