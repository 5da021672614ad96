package edge

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// fillGroup runs one fill per key at a time and shares its result with
// every request waiting on it (singleflight), and cancels a fill as soon
// as nobody waits for it any more: work no client wants is dropped between
// pipeline steps instead of running on. Safe for concurrent use.
type fillGroup struct {
	mu    sync.Mutex
	calls map[string]*fillCall
}

// fillCall is one running fill.
type fillCall struct {
	done    chan struct{} // closed when entry and err are set
	entry   Entry
	err     error
	waiters int // guarded by fillGroup.mu
	cancel  context.CancelFunc
	// transforming is set once the original is at hand and the variant is
	// being made: a waiter that gives up then was held by this node's
	// CPU, not by the origin.
	transforming atomic.Bool
}

// fillFunc makes the entry; it must honour ctx.
type fillFunc func(ctx context.Context, c *fillCall) (Entry, error)

// join counts the caller as a waiter of key's fill. When no fill of key
// runs, it asks start (if not nil) whether the caller may start one, and
// if so runs fn in its own goroutine under a context derived from parent
// and bounded by timeout; started reports that. On a nil call (start said
// no) there is nothing to leave; otherwise the caller must call leave
// exactly once.
func (g *fillGroup) join(parent context.Context, key string, timeout time.Duration, start func() bool, fn fillFunc) (c *fillCall, started bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.calls[key]; ok {
		c.waiters++
		return c, false
	}
	if start != nil && !start() {
		return nil, false
	}
	if g.calls == nil {
		g.calls = map[string]*fillCall{}
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	c = &fillCall{done: make(chan struct{}), waiters: 1, cancel: cancel}
	g.calls[key] = c
	go func() {
		defer cancel()
		e, err := fn(ctx, c)
		g.mu.Lock()
		if g.calls[key] == c {
			delete(g.calls, key)
		}
		g.mu.Unlock()
		c.entry, c.err = e, err
		close(c.done)
	}()
	return c, true
}

// leave uncounts a waiter; when the last one leaves a fill still running,
// the fill is cancelled, and a later join starts afresh.
func (g *fillGroup) leave(key string, c *fillCall) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c.waiters--
	if c.waiters > 0 {
		return
	}
	select {
	case <-c.done:
		return
	default:
	}
	c.cancel()
	if g.calls[key] == c {
		delete(g.calls, key)
	}
}

// running returns how many fills run.
func (g *fillGroup) running() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.calls)
}
