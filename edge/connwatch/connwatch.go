// Package connwatch enforces a fasthttp server's read, write and idle
// timeouts without touching the sockets on the request path.
//
// fasthttp's own timeouts move a connection's socket deadlines three times
// per keep-alive request (idle, read, write), each a timer update in the Go
// runtime's network poller: on a server answering from memory that costs
// about a sixth of its throughput. Wrapping the connection to move them
// lazily hides the *net.TCPConn fasthttp needs to send a header and a body
// with one writev, which costs as much again.
//
// A Watch instead follows each connection through fasthttp's ConnState
// hook and a wrapper around the handler, and keeps one deadline per
// connection in memory, on a coarse clock:
//
//	new connection        Read    (until its first request has been read)
//	first byte of a request  Read (a keep-alive request's header and body)
//	handler running       none    (the handler bounds its own work)
//	handler returned      Write   (until the response has been written)
//	idle keep-alive       Idle    (Read when Idle is 0)
//
// A sweeper wakes every tick and expires the connections past their
// deadline by setting their socket deadlines in the past: the read or
// write waiting on the socket fails with a timeout and fasthttp closes the
// connection. The request path costs, per state change, finding the
// connection's record (usually in one slot of a small direct-mapped
// table) and an atomic store, and no system call.
//
// The contract: a timeout fires no earlier than asked and at most two
// ticks later. A connection whose deadline passes just as it moves on may
// still be expired: it was that late.
package connwatch

import (
	"net"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Timeouts are the limits a Watch enforces; 0 disables one. As in
// fasthttp, an Idle of 0 falls back to Read.
type Timeouts struct {
	Read, Write, Idle time.Duration
}

// Watch tracks the connections of the servers it is installed on and
// expires those past their deadline. Safe for concurrent use.
type Watch struct {
	timeouts Timeouts
	tick     int64 // nanoseconds

	// now is the coarse clock in Unix nanoseconds, advanced by the
	// sweeper every tick; it is never ahead of the real time.
	now   atomic.Int64
	conns sync.Map // net.Conn → *conn: every watched connection
	// slots remembers the record last found for a connection in the slot
	// its address picks. The hooks run right after a system call, when a
	// walk through conns misses the CPU cache at every level; a slot is
	// one line, checked against the connection itself.
	slots [slotCount]atomic.Pointer[conn]

	expired atomic.Int64
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// slotCount is the size of a Watch's slot table (a power of two).
const slotCount = 1 << 12

// conn is a watched connection's deadline in Unix nanoseconds: 0 means
// none, expiredMark that the sweeper has expired it.
type conn struct {
	nc       net.Conn // the connection, to check a slot's record against
	deadline atomic.Int64
	// first is true until the first request's first byte arrived: that
	// request is read under the deadline the connection opened with.
	first atomic.Bool
}

const expiredMark = -1

// New starts a Watch whose sweeper runs every tick (tick ≤ 0: a tenth of
// the shortest timeout, at most half a second). Stop it with Close. A
// Watch without timeouts watches nothing and runs no sweeper.
func New(t Timeouts, tick time.Duration) *Watch {
	if t.Idle == 0 {
		t.Idle = t.Read
	}
	if tick <= 0 {
		tick = DefaultTick(t)
	}
	w := &Watch{timeouts: t, tick: int64(tick), stop: make(chan struct{}), done: make(chan struct{})}
	w.now.Store(time.Now().UnixNano())
	if w.idle() {
		close(w.done)
	} else {
		go w.sweep()
	}
	return w
}

// idle reports whether w has no timeout to enforce.
func (w *Watch) idle() bool { return w.timeouts == Timeouts{} }

// DefaultTick is a tenth of the shortest timeout set, at most half a
// second: timeouts then fire at most a fifth of themselves late.
func DefaultTick(t Timeouts) time.Duration {
	tick := 500 * time.Millisecond
	for _, d := range []time.Duration{t.Read, t.Write, t.Idle} {
		if d > 0 {
			tick = min(tick, d/10)
		}
	}
	return max(tick, time.Millisecond)
}

// Install makes the Watch enforce its timeouts on srv: it hooks
// srv.ConnState (calling any hook already set), wraps srv.Handler, turns
// fasthttp's own timeouts off and makes it read the clock only when asked
// (LazyRequestTime). Without timeouts it only does the last two. Call it
// before srv serves.
func (w *Watch) Install(srv *fasthttp.Server) {
	srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = 0, 0, 0
	srv.LazyRequestTime = true
	if w.idle() {
		return
	}
	next, handler := srv.ConnState, srv.Handler
	srv.ConnState = func(c net.Conn, s fasthttp.ConnState) {
		w.connState(c, s)
		if next != nil {
			next(c, s)
		}
	}
	srv.Handler = func(ctx *fasthttp.RequestCtx) {
		cn := w.lookup(ctx.Conn())
		w.arm(cn, 0)
		handler(ctx)
		w.arm(cn, w.timeouts.Write)
	}
}

// Expired counts the connections the Watch has expired.
func (w *Watch) Expired() int64 { return w.expired.Load() }

// Close stops the sweeper; connections are no longer expired. Idempotent.
func (w *Watch) Close() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

func (w *Watch) connState(c net.Conn, s fasthttp.ConnState) {
	switch s {
	case fasthttp.StateNew:
		cn := &conn{nc: c}
		cn.first.Store(true)
		w.arm(cn, w.timeouts.Read)
		w.conns.Store(c, cn)
		w.slots[slotOf(c)].Store(cn)
	case fasthttp.StateActive:
		if cn := w.lookup(c); cn != nil && !cn.first.CompareAndSwap(true, false) {
			w.arm(cn, w.timeouts.Read)
		}
	case fasthttp.StateIdle:
		w.arm(w.lookup(c), w.timeouts.Idle)
	case fasthttp.StateHijacked, fasthttp.StateClosed:
		w.conns.Delete(c)
		// No lookup of c can refill the slot now: fasthttp makes every
		// call for a connection on its own goroutine, this one the last.
		slot := &w.slots[slotOf(c)]
		if cn := slot.Load(); cn != nil && cn.nc == c {
			slot.CompareAndSwap(cn, nil)
		}
	}
}

// lookup returns c's record, or nil if c is not watched.
func (w *Watch) lookup(c net.Conn) *conn {
	slot := &w.slots[slotOf(c)]
	if cn := slot.Load(); cn != nil && cn.nc == c {
		return cn
	}
	v, ok := w.conns.Load(c)
	if !ok {
		return nil
	}
	cn := v.(*conn)
	slot.Store(cn)
	return cn
}

// slotOf picks c's slot from the address of the value behind it (every
// net.Conn in practice is a pointer; other kinds share slot 0). Only
// speed depends on it: a slot's record is checked against c.
func slotOf(c net.Conn) int {
	v := reflect.ValueOf(c)
	if v.Kind() != reflect.Pointer {
		return 0
	}
	p := v.Pointer()
	return int((p>>3 ^ p>>15) & (slotCount - 1))
}

// arm gives cn a deadline of timeout from now (0: none), unless it is
// unknown or already expired. The deadline is rounded up by a tick, so
// that the coarse clock's lag never makes it early.
func (w *Watch) arm(cn *conn, timeout time.Duration) {
	if cn == nil {
		return
	}
	next := int64(0)
	if timeout > 0 {
		next = w.now.Load() + w.tick + int64(timeout)
	}
	for {
		old := cn.deadline.Load()
		if old == expiredMark || cn.deadline.CompareAndSwap(old, next) {
			return
		}
	}
}

// sweep advances the clock and expires connections every tick until Close.
func (w *Watch) sweep() {
	defer close(w.done)
	t := time.NewTicker(time.Duration(w.tick))
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case now := <-t.C:
			w.now.Store(now.UnixNano())
			w.expire(now.UnixNano())
		}
	}
}

// past is the socket deadline that makes a blocked read or write fail.
var past = time.Unix(1, 0)

// expire ends the connections whose deadline is before now.
func (w *Watch) expire(now int64) {
	w.conns.Range(func(k, v any) bool {
		cn := v.(*conn)
		d := cn.deadline.Load()
		if d > 0 && d < now && cn.deadline.CompareAndSwap(d, expiredMark) {
			w.expired.Add(1)
			_ = k.(net.Conn).SetDeadline(past)
		}
		return true
	})
}
