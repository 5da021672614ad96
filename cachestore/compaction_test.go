package cachestore

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"
)

// compactionConfig is a disk-only store (every Get reads a segment) with
// 1 MiB segments, so that a few hundred Sets roll several.
func compactionConfig(dir string) Config {
	cfg := testConfig(dir)
	cfg.MemoryBytes = 0
	cfg.SegmentBytes = 1 << 20
	return cfg
}

// TestCompactionRacesSetsAndDeletes runs compaction in a loop while
// workers Set, Delete and Get their own keys (one writer per key, so each
// knows what its key must hold). Every Get right after a Set must return
// exactly that Set's bytes, every Get after a Delete must miss, whether
// or not compaction moved the frame or removed its segment in between.
func TestCompactionRacesSetsAndDeletes(t *testing.T) {
	for _, dir := range []string{t.TempDir(), ""} {
		t.Run(fmt.Sprintf("dir=%q", dir), func(t *testing.T) {
			s := openStore(t, compactionConfig(dir))
			const workers, keysEach = 4, 50
			deadline := time.Now().Add(2 * time.Second)
			errs := make(chan error, workers)
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- ownKeys(s, w, keysEach, deadline)
				}()
			}
			stop := make(chan struct{})
			gcDone := make(chan struct{})
			go func() {
				defer close(gcDone)
				for {
					select {
					case <-stop:
						return
					default:
						s.collectGarbage()
						time.Sleep(time.Millisecond)
					}
				}
			}()
			wg.Wait()
			close(stop)
			<-gcDone
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			st := s.Stats()
			t.Logf("stats: %+v", st)
			if st.GCRewrites == 0 || st.ChecksumFailures != 0 || st.Disk.Evictions != 0 {
				t.Fatalf("want compactions, no checksum failures, no evictions: %+v", st)
			}
		})
	}
}

// ownKeys sets, deletes and reads keys w×each … w×each+each−1 until
// deadline, checking every read against what it last did to the key.
func ownKeys(s *Store, w, each int, deadline time.Time) error {
	r := rand.New(rand.NewPCG(uint64(w), 1))
	want := make(map[int][]byte)
	for v := 0; time.Now().Before(deadline); v++ {
		i := w*each + r.IntN(each)
		key := []byte(fmt.Sprintf("k%d", i))
		if r.IntN(4) == 0 {
			if err := s.Delete(key); err != nil {
				return err
			}
			delete(want, i)
		} else {
			b := body(i, v, 1000+r.IntN(20000))
			if err := s.Set(key, testEntry("t", "i", nil, b), s.Snapshot()); err != nil {
				return err
			}
			want[i] = b
		}
		for _, j := range []int{i, w*each + r.IntN(each)} {
			e, ok := s.Get([]byte(fmt.Sprintf("k%d", j)))
			switch b, set := want[j]; {
			case set && !ok:
				return fmt.Errorf("k%d: miss after a Set", j)
			case !set && ok:
				return fmt.Errorf("k%d: hit after a Delete", j)
			case ok && !bytes.Equal(e.Body, b):
				return fmt.Errorf("k%d: got bytes of another Set", j)
			}
		}
	}
	return nil
}

// TestCompactionReclaimsGarbage overwrites the same keys many times: once
// GC has run, the segments hold little more than the live entries.
func TestCompactionReclaimsGarbage(t *testing.T) {
	s := openStore(t, compactionConfig(t.TempDir()))
	for round := 0; round < 20; round++ {
		for i := 0; i < 50; i++ {
			mustSet(t, s, fmt.Sprintf("k%d", i), testEntry("t", "i", nil, body(i, round, 16<<10)))
		}
	}
	s.collectGarbage()
	_, size := s.disk().segs.stats()
	live := s.Stats().Disk.Bytes
	t.Logf("segments %d bytes for %d live bytes, %d compactions", size, live, s.Stats().GCRewrites)
	// Sealed segments keep < 30% garbage; the active one may be all garbage.
	if limit := live*10/7 + 2<<20; size > limit {
		t.Fatalf("segments hold %d bytes, more than %d", size, limit)
	}
	for i := 0; i < 50; i++ {
		wantBody(t, s, fmt.Sprintf("k%d", i), body(i, 19, 16<<10))
	}
}

// TestLostSegmentIsAMiss removes a segment under its records, while the
// store is open and while it is closed: the entries are misses, deleted,
// and not checksum failures; the others are served.
func TestLostSegmentIsAMiss(t *testing.T) {
	cfg := compactionConfig(t.TempDir())
	s := openStore(t, cfg)
	for i := 0; i < 200; i++ {
		mustSet(t, s, fmt.Sprintf("k%d", i), testEntry("t", "i", nil, body(i, 0, 16<<10)))
	}
	first, last := framePointer(t, s, "k0").seg, framePointer(t, s, "k199").seg
	if first == last {
		t.Fatal("all frames in one segment")
	}
	if err := s.disk().segs.remove(first); err != nil { // while open
		t.Fatal(err)
	}
	wantMiss(t, s, "k0")
	wantBody(t, s, "k199", body(199, 0, 16<<10))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(s.disk().segs.path(first + 1)); err != nil { // while closed
		t.Fatal(err)
	}
	s = openStore(t, cfg)
	served := 0
	for i := 0; i < 200; i++ {
		if e, ok := s.Get([]byte(fmt.Sprintf("k%d", i))); ok {
			served++
			if !bytes.Equal(e.Body, body(i, 0, 16<<10)) {
				t.Fatalf("k%d: wrong bytes", i)
			}
		}
	}
	for i := 0; i < 200; i++ {
		landed(s, fmt.Sprintf("k%d", i)) // the deletions of misses
	}
	st := s.Stats()
	if served == 0 || served == 200 || st.ChecksumFailures != 0 || diskRecords(t, s) != served {
		t.Fatalf("served %d of 200, %d records, stats %+v", served, diskRecords(t, s), st)
	}
}
