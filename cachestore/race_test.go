package cachestore

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// TestConcurrentUse runs Gets, Sets, Deletes, purges, sweeps and GC runs
// together for a bounded time (run it with -race). Every hit must return
// exactly the bytes some Set wrote for that key, and a key whose image was
// purged must not be served with a version stamped before the purge.
func TestConcurrentUse(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MemoryBytes = 256 << 10 // small, so entries move between tiers
	s := openStore(t, cfg)
	const keys, workers = 200, 4
	deadline := time.Now().Add(2 * time.Second)
	errs := make(chan error, workers+2)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			errs <- churn(s, rand.New(rand.NewPCG(seed, 0)), keys, deadline)
		}(uint64(w))
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs <- purgeLoop(s, keys, deadline)
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	t.Logf("stats: %+v", st)
	if st.MemoryHits == 0 || st.DiskHits == 0 || st.Misses == 0 {
		t.Fatalf("the mix did not exercise both tiers and misses: %+v", st)
	}
}

func churn(s *Store, r *rand.Rand, keys int, deadline time.Time) error {
	for n := 0; time.Now().Before(deadline); n++ {
		i := r.IntN(keys)
		key := fmt.Sprintf("k%d", i)
		switch op := r.IntN(10); {
		case op < 6:
			if e, ok := s.Get([]byte(key)); ok && !bytes.Equal(e.Body, body(i, int(e.Image.Version), len(e.Body))) {
				return fmt.Errorf("Get(%s) returned bytes nobody wrote", key)
			}
		case op < 9:
			// The version is the generation the fill started from, so
			// the purge loop can tell pre-purge entries from later ones.
			gen := s.Snapshot()
			e := testEntry("t", fmt.Sprintf("img%d", i%20), []string{fmt.Sprintf("tag%d", i%7)}, body(i, int(gen), 1000+r.IntN(8000)))
			e.Image.Version = int64(gen)
			if err := s.Set([]byte(key), e, gen); err != nil && !errors.Is(err, ErrPurged) {
				return err
			}
		default:
			if err := s.Delete([]byte(key)); err != nil {
				return err
			}
		}
	}
	return nil
}

func purgeLoop(s *Store, keys int, deadline time.Time) error {
	for i := 0; time.Now().Before(deadline); i++ {
		p := Purge{Tenant: "t", PublicIDs: []string{fmt.Sprintf("img%d", i%20)}}
		if i%3 == 1 {
			p = Purge{Tenant: "t", Tags: []string{fmt.Sprintf("tag%d", i%7)}}
		}
		if err := s.Purge(p); err != nil {
			return err
		}
		// Once a purge returns, nothing it covers from a fill that started
		// before it may be served. This loop is the only purger, so the
		// purge's generation is the current one.
		gen := int64(s.Snapshot())
		for k := 0; k < keys; k++ {
			if e, ok := s.Get([]byte(fmt.Sprintf("k%d", k))); ok && covers(p, e) && e.Image.Version < gen {
				return fmt.Errorf("k%d from generation %d served after purge %+v at %d", k, e.Image.Version, p, gen)
			}
		}
		if i%10 == 0 {
			s.sweep()
			s.collectGarbage()
		}
		time.Sleep(time.Millisecond) // pace the purges: this loop is a load generator
	}
	return nil
}

func covers(p Purge, e Entry) bool {
	for _, id := range p.PublicIDs {
		if id == e.Image.PublicID {
			return true
		}
	}
	for _, t := range p.Tags {
		for _, et := range e.Image.Tags {
			if t == et {
				return true
			}
		}
	}
	return false
}
