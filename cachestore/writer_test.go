package cachestore

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestCoalescedWritesSurviveRestart sets from several goroutines at once,
// so that the writer commits many writes per transaction and, with 16 KiB
// memtables, splits batches at Badger's transaction limit; after a clean
// restart every entry is there, whole.
func TestCoalescedWritesSurviveRestart(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MemTableBytes = 16 << 10
	s := openStore(t, cfg)
	const writers, each = 8, 60
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				n := w*each + i
				mustSet(t, s, fmt.Sprintf("k%d", n), testEntry("t", "i", nil, body(n, 0, 2000)))
			}
		}()
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, cfg)
	if got := s.Stats().Disk.Entries; got != writers*each {
		t.Fatalf("reopened with %d entries, want %d", got, writers*each)
	}
	for n := 0; n < writers*each; n++ {
		wantBody(t, s, fmt.Sprintf("k%d", n), body(n, 0, 2000))
	}
	if f := s.disk().failedWrites.Load(); f != 0 {
		t.Fatalf("%d failed writes", f)
	}
}

// TestKeyLocksExcludeByHash: a held hash blocks another locker of the same
// hash until it is unlocked, from any goroutine, and never blocks another
// hash, even one in the same shard.
func TestKeyLocksExcludeByHash(t *testing.T) {
	var k keyLocks
	unlock := k.lockAll([]uint64{7, 3, 7})
	k.lockAll([]uint64{7 + keyLockShards})() // same shard, other hash: no wait
	got := make(chan struct{})
	go func() {
		k.lockAll([]uint64{3})()
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("a held hash was locked again")
	case <-time.After(50 * time.Millisecond):
	}
	go unlock() // a lock may be released by another goroutine
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("lock not granted after unlock")
	}
	k.lockAll([]uint64{3, 7})() // both free again
}
