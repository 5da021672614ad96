package eventfeed

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"pixcdn/contract"
)

// script answers polls from a fixed list of events; fail makes the next
// polls fail.
type script struct {
	mu     sync.Mutex
	events []contract.Event
	fail   int
	polls  []int64
}

func (s *script) Events(ctx context.Context, after int64, wait time.Duration) ([]contract.Event, error) {
	s.mu.Lock()
	s.polls = append(s.polls, after)
	if s.fail > 0 {
		s.fail--
		s.mu.Unlock()
		return nil, errors.New("origin down")
	}
	var out []contract.Event
	for _, e := range s.events {
		if e.Seq > after {
			out = append(out, e)
		}
	}
	s.mu.Unlock()
	if len(out) == 0 && wait > 0 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return out, nil
}

// recorder is what a node sees of the follower.
type recorder struct {
	mu      sync.Mutex
	applied []int64
	reached []int64
	live    []int64
}

func (r *recorder) follower(src Source, store Store) *Follower {
	seqs := func(dst *[]int64) func([]contract.Event) {
		return func(events []contract.Event) {
			r.mu.Lock()
			defer r.mu.Unlock()
			for _, e := range events {
				*dst = append(*dst, e.Seq)
			}
		}
	}
	return &Follower{Source: src, Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Apply: seqs(&r.applied), Live: seqs(&r.live),
		Reached: func(pos int64) { r.mu.Lock(); r.reached = append(r.reached, pos); r.mu.Unlock() }}
}

func TestCatchUpResumesFromTheStoredPositionAndPersists(t *testing.T) {
	store := FileSeq{Path: filepath.Join(t.TempDir(), "seq")}
	if err := store.Save(2); err != nil {
		t.Fatal(err)
	}
	src := &script{events: []contract.Event{{Seq: 1}, {Seq: 2}, {Seq: 3}, {Seq: 4}}}
	var r recorder
	if pos := r.follower(src, store).CatchUp(context.Background(), time.Second); pos != 4 {
		t.Fatalf("caught up to %d, want 4", pos)
	}
	if saved, _ := store.Load(); saved != 4 {
		t.Fatalf("persisted %d, want 4", saved)
	}
	if len(r.applied) != 2 || r.applied[0] != 3 || r.applied[1] != 4 || len(r.live) != 0 {
		t.Fatalf("applied %v, live %v", r.applied, r.live)
	}
	if r.reached[0] != 2 || r.reached[len(r.reached)-1] != 4 {
		t.Fatalf("positions reached %v", r.reached)
	}
}

func TestCatchUpGivesUpOnADownOrigin(t *testing.T) {
	src := &script{fail: 1}
	var r recorder
	if pos := r.follower(src, FileSeq{Path: filepath.Join(t.TempDir(), "seq")}).CatchUp(context.Background(), time.Second); pos != 0 {
		t.Fatalf("position %d without an origin", pos)
	}
}

func TestFollowRetriesAndAnnouncesLiveEvents(t *testing.T) {
	src := &script{events: []contract.Event{{Seq: 1}, {Seq: 2}}, fail: 2}
	var r recorder
	f := r.follower(src, FileSeq{Path: filepath.Join(t.TempDir(), "seq")})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Follow(ctx, 0); close(done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r.mu.Lock()
		n := len(r.live)
		r.mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("live events never announced after the origin came back")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	src.mu.Lock()
	defer src.mu.Unlock()
	if len(src.polls) < 3 || src.polls[len(src.polls)-1] != 2 {
		t.Fatalf("polls after %v: want two failed, then one from 0, then from 2", src.polls)
	}
}

func TestFileSeqIsZeroWhenMissingAndKeepsWhatWasSaved(t *testing.T) {
	dir := t.TempDir()
	if seq, err := (FileSeq{Path: filepath.Join(dir, "none")}).Load(); seq != 0 || err != nil {
		t.Fatalf("missing file: %d %v", seq, err)
	}
	f := FileSeq{Path: filepath.Join(dir, "seq")}
	if err := f.Save(42); err != nil {
		t.Fatal(err)
	}
	if seq, err := f.Load(); seq != 42 || err != nil {
		t.Fatalf("saved 42, loaded %d %v", seq, err)
	}
}
