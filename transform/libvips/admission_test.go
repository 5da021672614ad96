package libvips

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"pixcdn/transform"

	"pixcdn/internal/testenv"
)

// A freed worker goes to the clients in turn: a client that queued one
// transform behind another client's five runs second, not sixth.
func TestAdmissionSharesWorkersBetweenClients(t *testing.T) {
	a := newAdmission(1, 16, 10*time.Second)
	if err := a.acquire(context.Background()); err != nil { // the only worker is busy
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	enqueue := func(client string, want int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.acquire(transform.WithClient(context.Background(), client)); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, client)
			mu.Unlock()
			a.release()
		}()
		testenv.WaitFor(t, 5*time.Second, "condition", func() bool { _, w := a.load(); return w == want })
	}
	for i := range 5 {
		enqueue("greedy", i+1)
	}
	enqueue("other", 6)
	a.release()
	wg.Wait()
	if len(order) != 6 || order[0] != "greedy" || order[1] != "other" {
		t.Fatalf("order %v, want the other client second", order)
	}
	if running, waiting := a.load(); running != 0 || waiting != 0 {
		t.Fatalf("after all: %d running, %d waiting", running, waiting)
	}
}

// Waiters that give up leave the queue and never hold a worker.
func TestAdmissionWaitersGivingUpLeaveNoTrace(t *testing.T) {
	a := newAdmission(1, 16, 20*time.Millisecond)
	if err := a.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := transform.WithClient(context.Background(), []string{"a", "b"}[i%2])
			if err := a.acquire(ctx); err == nil {
				t.Error("acquired a busy worker")
				a.release()
			}
		}()
	}
	wg.Wait()
	a.release()
	if running, waiting := a.load(); running != 0 || waiting != 0 || len(a.order) != 0 || len(a.queues) != 0 {
		t.Fatalf("after every waiter gave up: %d running, %d waiting, order %v", running, waiting, a.order)
	}
	if err := a.acquire(context.Background()); err != nil {
		t.Fatalf("the worker was not freed: %v", err)
	}
}

// Background work runs only on an idle processor and never queues: with
// one of two workers busy it is refused at once, and it leaves both
// workers to requests once it holds one.
func TestAdmissionBackgroundOnlyWhenIdle(t *testing.T) {
	a := newAdmission(2, 16, 10*time.Second)
	bg := transform.WithBackground(context.Background())
	if err := a.acquire(bg); err != nil {
		t.Fatalf("idle processor refused background work: %v", err)
	}
	if err := a.acquire(context.Background()); err != nil {
		t.Fatalf("a request waited behind background work: %v", err)
	}
	if err := a.acquire(bg); err == nil || !errors.Is(err, transform.ErrOverloaded) {
		t.Fatalf("busy processor: background acquire = %v, want ErrOverloaded at once", err)
	}
	a.release()
	a.release()
	if running, waiting := a.load(); running != 0 || waiting != 0 {
		t.Fatalf("after all: %d running, %d waiting", running, waiting)
	}
}
