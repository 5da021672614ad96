package cachestore

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func purgeImage(t testing.TB, s *Store, id string) {
	t.Helper()
	if err := s.Purge(Purge{Tenant: "acme", PublicIDs: []string{id}}); err != nil {
		t.Fatal(err)
	}
}

func wantScopes(t testing.TB, s *Store, want int) {
	t.Helper()
	if got := s.Stats().PurgeScopes; got != want {
		t.Fatalf("PurgeScopes = %d, want %d", got, want)
	}
}

func reopen(t testing.TB, s *Store, cfg Config) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return openStore(t, cfg)
}

// TestTrimPurgeCounters purges 1,000 images one by one and checks that
// periodic sweeps drop the counters no entry can need any more (those at
// or below both the floor and the oldest stamp kept), on disk too, while
// purged entries stay gone and others stay.
func TestTrimPurgeCounters(t *testing.T) {
	cfg := testConfig(t.TempDir())
	s := openStore(t, cfg)
	e := func(id string, i int) Entry { return testEntry("acme", id, nil, body(i, 0, 1500)) }
	mustSet(t, s, "p-3", e("img3", 3))     // stamp 0, purged at 4
	mustSet(t, s, "p-700", e("img700", 7)) // stamp 0, purged at 701
	for i := 0; i < 500; i++ {
		purgeImage(t, s, fmt.Sprintf("img%d", i))
	}
	mustSet(t, s, "before", e("other/before", 1)) // stamp 500: pins the counters above it
	mustSet(t, s, "p-800", e("img800", 8))        // stamp 500, purged at 801
	for i := 500; i < 1000; i++ {
		purgeImage(t, s, fmt.Sprintf("img%d", i))
	}
	mustSet(t, s, "after", e("other/after", 2)) // stamp 1000
	wantScopes(t, s, 1000)

	check := func(s *Store) {
		t.Helper()
		for _, k := range []string{"p-3", "p-700", "p-800"} {
			wantMiss(t, s, k)
		}
		wantBody(t, s, "before", body(1, 0, 1500))
		wantBody(t, s, "after", body(2, 0, 1500))
	}
	s.periodicSweep() // floor 0: nothing can go yet
	wantScopes(t, s, 1000)
	s.periodicSweep() // floor 1000, oldest stamp kept 500
	wantScopes(t, s, 500)
	if got := s.Stats().TrimmedScopes; got != 500 {
		t.Fatalf("TrimmedScopes = %d, want 500", got)
	}
	check(s)

	s = reopen(t, s, cfg)
	wantScopes(t, s, 500)
	check(s)
	if s.Snapshot() != 1000 {
		t.Fatalf("clock %d after reopen, want 1000", s.Snapshot())
	}

	// Once the old entry is replaced, every counter can go, and the clock
	// still survives a reopen: a purge after it covers entries stamped
	// before it.
	mustSet(t, s, "before", e("other/before", 1))
	s.periodicSweep()
	s.periodicSweep()
	wantScopes(t, s, 0)
	s = reopen(t, s, cfg)
	wantScopes(t, s, 0)
	check(s)
	if s.Snapshot() != 1000 {
		t.Fatalf("clock %d after reopen, want 1000", s.Snapshot())
	}
	purgeImage(t, s, "other/after")
	wantMiss(t, s, "after")
}

// TestTrimFloor checks that once a periodic sweep has raised the floor
// past a Snapshot, a Set with it is refused, purged or not, and one with a
// newer Snapshot is not.
func TestTrimFloor(t *testing.T) {
	s := openStore(t, testConfig(t.TempDir()))
	e := testEntry("acme", "cats/tom.jpg", nil, []byte("bytes"))
	old := s.Snapshot()
	purgeImage(t, s, "dogs/rex.jpg") // another image
	s.periodicSweep()
	if err := s.Set([]byte("k"), e, old); err != nil {
		t.Fatalf("Set before the floor rose: %v", err)
	}
	s.periodicSweep() // floor: the clock at the first sweep, past old
	if err := s.Set([]byte("k"), e, old); !errors.Is(err, ErrPurged) {
		t.Fatalf("Set with a Snapshot below the floor = %v, want ErrPurged", err)
	}
	if got := s.Stats().DroppedFills; got != 1 {
		t.Fatalf("DroppedFills = %d, want 1", got)
	}
	if err := s.Set([]byte("k"), e, s.Snapshot()); err != nil {
		t.Fatalf("Set with a fresh Snapshot: %v", err)
	}
	wantBody(t, s, "k", e.Body)

	// A fill that started before a purge of its image and ends after a
	// sweep that trimmed is still refused: the sweep keeps the purge's
	// counter (it is above the floor), whatever else it drops.
	gen := s.Snapshot()
	purgeImage(t, s, "cats/tom.jpg")
	s.periodicSweep()
	if err := s.Set([]byte("k"), e, gen); !errors.Is(err, ErrPurged) {
		t.Fatalf("Set of a fill older than a purge, after a trim = %v, want ErrPurged", err)
	}
	wantMiss(t, s, "k")
	if got := s.Stats().TrimmedScopes; got != 1 {
		t.Fatalf("TrimmedScopes = %d, want 1 (rex's)", got)
	}
}

// TestTrimNeverResurrects checks that entries killed by purges stay dead
// through trimming and reopening: x, purged while a sweep runs (after its
// walk kept x, so its counter is newer than what that sweep may drop), and
// still stored when the first sweep after a reopen runs, which sweeps it
// and drops its counter.
func TestTrimNeverResurrects(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.SweepDelay = time.Hour // purges do not sweep: only the periodic sweeps do
	s := openStore(t, cfg)
	x := testEntry("acme", "x.jpg", nil, []byte("x"))
	z := testEntry("acme", "z.jpg", nil, []byte("z"))
	purgeImage(t, s, "other.jpg")                           // 1
	mustSet(t, s, "z", z)                                   // stamp 1
	s.periodicSweep()                                       // floor 0
	mustSet(t, s, "x", x)                                   // stamp 1
	s.trim.afterWalk = func() { purgeImage(t, s, "x.jpg") } // 2
	s.periodicSweep()                                       // floor 1, oldest stamp kept 1
	s.trim.afterWalk = nil
	if st := s.Stats(); st.TrimmedScopes != 1 || st.PurgeScopes != 1 {
		t.Fatalf("%d trimmed, %d left; want other's trimmed, x's left", st.TrimmedScopes, st.PurgeScopes)
	}
	if n := diskRecords(t, s); n != 2 { // no Get of x yet: it would delete it
		t.Fatalf("%d records on disk, want x's and z's", n)
	}

	s = reopen(t, s, cfg)
	wantScopes(t, s, 1)
	// other's counter is gone, but a fill that started before its purge
	// is still refused: the floor is restored.
	if err := s.Set([]byte("o"), testEntry("acme", "other.jpg", nil, []byte("o")), 0); !errors.Is(err, ErrPurged) {
		t.Fatalf("Set with a Generation from before the trim, after reopen = %v, want ErrPurged", err)
	}
	mustSet(t, s, "z", z) // stamp 2, so nothing pins x's counter
	s.periodicSweep()     // floor 2 (from disk): sweeps x and drops its counter
	wantScopes(t, s, 0)
	if n := diskRecords(t, s); n != 1 {
		t.Fatalf("%d records on disk, want z's", n)
	}
	wantMiss(t, s, "x")
	wantBody(t, s, "z", z.Body)
	s = reopen(t, s, cfg)
	wantMiss(t, s, "x")
	wantBody(t, s, "z", z.Body)
}

// TestTrimRace runs Sets, Gets, purges of random images and periodic
// sweeps (trimming) together (run it with -race). Each key has one writer,
// so its last successful Set is known: afterwards, and after a reopen,
// every key whose image a purge started after that Set returned must be a
// miss, and any other hit must be that Set's bytes.
func TestTrimRace(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MemoryBytes = 256 << 10 // small, so entries move between tiers
	s := openStore(t, cfg)
	const keys, images, workers = 256, 96, 4
	var (
		ticket     atomic.Int64
		lastSet    [keys]int64 // ticket after the key's last successful Set; 0 if none
		version    [keys]int   // that Set's version
		purgedFrom [images * 2]atomic.Int64
		wg         sync.WaitGroup
	)
	img := func(k int) string { return fmt.Sprintf("img%d", k%images) }
	entry := func(k, v int) Entry { return testEntry("acme", img(k), nil, body(k, v, 500+k*7)) }
	// The mix runs for 2 s and then until a sweep has trimmed, at most 30 s:
	// on a loaded machine 2 s may hold too few purges for a trim.
	var stop atomic.Bool
	running := func() bool { return !stop.Load() }
	start := time.Now()
	errs := make(chan error, workers+2)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for v := 1; running(); v++ {
				k := w + workers*r.IntN(keys/workers) // this worker's keys only
				key := []byte(fmt.Sprintf("k%d", k))
				if r.IntN(2) == 0 {
					if e, ok := s.Get(key); ok && !bytes.Equal(e.Body, entry(k, version[k]).Body) {
						errs <- fmt.Errorf("k%d: got bytes that are not its last Set's", k)
						return
					}
					continue
				}
				err := s.Set(key, entry(k, v), s.Snapshot())
				switch {
				case err == nil:
					lastSet[k], version[k] = ticket.Add(1), v
				case !errors.Is(err, ErrPurged):
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Add(2)
	go func() { // purges images used by keys and others
		defer wg.Done()
		r := rand.New(rand.NewPCG(9, 9))
		for running() {
			i := r.IntN(images * 2)
			purgedFrom[i].Store(ticket.Add(1))
			if err := s.Purge(Purge{Tenant: "acme", PublicIDs: []string{fmt.Sprintf("img%d", i)}}); err != nil {
				errs <- err
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
	}()
	go func() {
		defer wg.Done()
		for running() {
			s.periodicSweep()
			time.Sleep(5 * time.Millisecond)
			if d := time.Since(start); d > 30*time.Second || (d > 2*time.Second && s.Stats().TrimmedScopes > 0) {
				stop.Store(true)
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	check := func(s *Store) (hits, misses int) {
		t.Helper()
		for k := 0; k < keys; k++ {
			e, ok := s.Get([]byte(fmt.Sprintf("k%d", k)))
			switch {
			case !ok:
				misses++
			case lastSet[k] == 0 || purgedFrom[k%images].Load() > lastSet[k]:
				t.Fatalf("k%d served, but its image was purged after its last Set", k)
			case !bytes.Equal(e.Body, entry(k, version[k]).Body):
				t.Fatalf("k%d: got bytes that are not its last Set's", k)
			default:
				hits++
			}
		}
		return hits, misses
	}
	hits, misses := check(s)
	st := s.Stats()
	t.Logf("%d hits, %d misses; generation %d, %d counters left, %d trimmed, %d fills dropped",
		hits, misses, st.Generation, st.PurgeScopes, st.TrimmedScopes, st.DroppedFills)
	if st.TrimmedScopes == 0 || hits == 0 {
		t.Fatalf("the mix did not trim or keep anything: %+v", st)
	}
	s = reopen(t, s, cfg)
	check(s)
}
