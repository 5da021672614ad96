package edge

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"pixcdn/contract"
)

// Event is one origin event (package contract).
type Event = contract.Event

// feedWait is the long-poll duration asked of the origin.
const feedWait = 25 * time.Second

// The feed follower retries a failed long poll after feedRetryMin,
// doubling up to feedRetryMax: an origin back from a restart is followed
// again within feedRetryMax, and a down origin sees one poll per edge per
// feedRetryMax.
const (
	feedRetryMin = 250 * time.Millisecond
	feedRetryMax = 5 * time.Second
)

// catchUp applies the feed's events after the persisted position until the
// feed has no more, for at most limit, and returns the position reached.
// If the origin cannot be reached by then, the node starts with what it
// has and the follower catches up in the background.
func (s *Server) catchUp(limit time.Duration) int64 {
	after, err := s.deps.FeedState.Load()
	if err != nil {
		s.log.Warn("cannot load feed position, starting from 0", "err", err)
	}
	s.feed.advance(after)
	if limit <= 0 {
		return after
	}
	ctx, cancel := context.WithTimeout(s.ctx, limit)
	defer cancel()
	for {
		events, err := s.deps.Events.Events(ctx, after, 0)
		if err != nil {
			s.log.Warn("not caught up with the origin's event feed before serving; following it in the background", "after", after, "err", err)
			return after
		}
		if len(events) == 0 {
			return after
		}
		after = s.applyEvents(events, after)
	}
}

// followEvents applies the origin's feed after position after until ctx
// ends, persisting the last applied sequence so a restarted or partitioned
// node catches up.
func (s *Server) followEvents(ctx context.Context, after int64) {
	backoff := feedRetryMin
	for ctx.Err() == nil {
		events, err := s.deps.Events.Events(ctx, after, feedWait)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("event feed failed", "err", err, "retry_in", backoff)
			}
			sleepCtx(ctx, backoff)
			backoff = min(backoff*2, feedRetryMax)
			continue
		}
		backoff = feedRetryMin
		after = s.applyEvents(events, after)
		s.announceEvents(events)
	}
}

// applyEvents applies events received after position after and persists
// the new position, which it returns.
func (s *Server) applyEvents(events []Event, after int64) int64 {
	for i := range events {
		s.applyEvent(&events[i])
		after = max(after, events[i].Seq)
	}
	if len(events) > 0 {
		if err := s.deps.FeedState.Save(after); err != nil {
			s.log.Warn("cannot save feed position", "err", err)
		}
	}
	s.feed.advance(after)
	return after
}

// applyEvent turns one origin event into a purge.
func (s *Server) applyEvent(ev *Event) {
	p := ev.Purge()
	if err := p.Validate(); err != nil {
		s.log.Warn("ignoring bad event", "seq", ev.Seq, "err", err)
		return
	}
	s.applyPurge(&p, "feed")
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// FileSeq is a SeqStore in a small text file, replaced atomically.
type FileSeq struct{ Path string }

// Load returns the stored sequence, 0 if the file does not exist.
func (f FileSeq) Load() (int64, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	seq, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("feed position %s: %w", f.Path, err)
	}
	return seq, nil
}

// Save writes seq durably (write, fsync, rename, fsync of the directory,
// so that the rename survives a power loss too).
func (f FileSeq) Save(seq int64) error {
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".seq-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(strconv.FormatInt(seq, 10) + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(f.Path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}
