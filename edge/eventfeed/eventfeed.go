// Package eventfeed follows the origin's event feed for an edge node: it
// catches up from a persisted position before the node serves, then long
// polls, hands each batch of events to the node in order, and persists the
// position it reached, so a node restarted or cut off catches up on what
// it missed. What an event does to the node is the node's business.
package eventfeed

import (
	"context"
	"log/slog"
	"time"

	"pixcdn/contract"
)

// Source is the origin's feed (origin/client.Events).
type Source interface {
	// Events long-polls for events with Seq > after, waiting up to wait.
	Events(ctx context.Context, after int64, wait time.Duration) ([]contract.Event, error)
}

// Store persists the last applied event sequence number.
type Store interface {
	Load() (int64, error)
	Save(seq int64) error
}

// Long poll and retry timing: a failed poll is retried after RetryMin,
// doubling up to RetryMax, so an origin back from a restart is followed
// again within RetryMax and a down origin sees one poll per edge per
// RetryMax.
const (
	Wait     = 25 * time.Second
	RetryMin = 250 * time.Millisecond
	RetryMax = 5 * time.Second
)

// Follower follows one feed. Apply, Reached and Log are required.
type Follower struct {
	Source Source
	Store  Store
	// Apply applies a batch of events, in order, before the position
	// moves past them.
	Apply func(events []contract.Event)
	// Reached is told every position reached (persisted or not), the
	// loaded one first: every event up to it has been applied.
	Reached func(pos int64)
	// Live, if set, is given each batch the long poll brought (not the
	// catch-up), after it was applied.
	Live func(events []contract.Event)
	Log  *slog.Logger
}

// CatchUp applies the events after the persisted position until the feed
// has no more, for at most limit, and returns the position reached. If the
// origin cannot be reached by then, it returns what it has: the node
// starts with that, and Follow catches up.
func (f *Follower) CatchUp(ctx context.Context, limit time.Duration) int64 {
	after, err := f.Store.Load()
	if err != nil {
		f.Log.Warn("cannot load feed position, starting from 0", "err", err)
	}
	f.Reached(after)
	if limit <= 0 {
		return after
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		events, err := f.Source.Events(ctx, after, 0)
		if err != nil {
			f.Log.Warn("not caught up with the origin's event feed before serving; following it in the background", "after", after, "err", err)
			return after
		}
		if len(events) == 0 {
			return after
		}
		after = f.apply(events, after)
	}
}

// Follow applies the feed after position after until ctx ends.
func (f *Follower) Follow(ctx context.Context, after int64) {
	backoff := RetryMin
	for ctx.Err() == nil {
		events, err := f.Source.Events(ctx, after, Wait)
		if err != nil {
			if ctx.Err() == nil {
				f.Log.Warn("event feed failed", "err", err, "retry_in", backoff)
			}
			sleep(ctx, backoff)
			backoff = min(backoff*2, RetryMax)
			continue
		}
		backoff = RetryMin
		after = f.apply(events, after)
		if f.Live != nil && len(events) > 0 {
			f.Live(events)
		}
	}
}

// apply applies events received after position after and persists the new
// position, which it returns.
func (f *Follower) apply(events []contract.Event, after int64) int64 {
	f.Apply(events)
	for i := range events {
		after = max(after, events[i].Seq)
	}
	if len(events) > 0 {
		if err := f.Store.Save(after); err != nil {
			f.Log.Warn("cannot save feed position", "err", err)
		}
	}
	f.Reached(after)
	return after
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
