package clientquota

import (
	"net/netip"
	"sync"
	"testing"
)

func TestQuotaRefusesPastTheBoundPerClient(t *testing.T) {
	q := New(2)
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	for i := range 2 {
		if !q.Acquire(a) {
			t.Fatalf("unit %d of 2 refused", i+1)
		}
	}
	if q.Acquire(a) {
		t.Fatal("third unit admitted")
	}
	if !q.Acquire(b) {
		t.Fatal("another client refused because of the first")
	}
	q.Release(a)
	if !q.Acquire(a) {
		t.Fatal("a released unit was not given back")
	}
	if q.Refused() != 1 {
		t.Fatalf("Refused = %d, want 1", q.Refused())
	}
	q.Release(a)
	q.Release(a)
	q.Release(b)
	if q.Clients() != 0 {
		t.Fatalf("%d clients still held after every release", q.Clients())
	}
}

func TestQuotaUnboundedAndInvalidClients(t *testing.T) {
	q := New(0)
	a := netip.MustParseAddr("10.0.0.1")
	for range 100 {
		if !q.Acquire(a) {
			t.Fatal("an unbounded quota refused")
		}
	}
	q = New(1)
	for range 3 {
		if !q.Acquire(netip.Addr{}) {
			t.Fatal("an unknown client was refused")
		}
	}
}

func TestQuotaConcurrentNeverPassesTheBound(t *testing.T) {
	q := New(3)
	a := netip.MustParseAddr("10.0.0.1")
	var mu sync.Mutex
	held, peak := 0, 0
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				if !q.Acquire(a) {
					continue
				}
				mu.Lock()
				held++
				peak = max(peak, held)
				mu.Unlock()
				mu.Lock()
				held--
				mu.Unlock()
				q.Release(a)
			}
		}()
	}
	wg.Wait()
	if peak > 3 {
		t.Fatalf("peak %d units held, quota 3", peak)
	}
	if q.Clients() != 0 {
		t.Fatal("units left after every release")
	}
}
