// Package lazydeadline wraps network connections so that moving their
// deadlines is nearly free.
//
// fasthttp moves a connection's deadlines three times per keep-alive request
// (idle, read and write timeouts). Each move is a timer update in the Go
// runtime's network poller, and together they cost a server answering from
// memory about a sixth of its throughput. A Conn from this package instead
// records the deadline it is asked for and puts it on the socket only when
// a read or write is about to wait for it, and only when the socket's
// deadline is not already within the slack of it: a deadline set while
// data is already buffered is never applied, and a steady stream of
// requests moves the socket's deadlines once per slack rather than three
// times per request.
//
// The contract: a deadline takes effect for every Read or Write that
// starts after it was set, and fires no earlier than asked and at most the
// slack later. A deadline set while a Read or Write is blocked applies to
// that call at once, as with net.Conn.
package lazydeadline

import (
	"net"
	"sync"
	"time"
)

// Listener wraps every connection it accepts in a Conn with its Slack.
type Listener struct {
	net.Listener
	// Slack is how late a deadline may fire; 0 applies every change.
	Slack time.Duration
}

// Accept waits for the next connection and wraps it.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return NewConn(c, l.Slack), nil
}

// Conn is a net.Conn whose deadlines are applied lazily and coarsely (see
// the package comment). It is safe for concurrent use as net.Conn is.
type Conn struct {
	net.Conn
	slack int64 // nanoseconds

	mu           sync.Mutex
	reads, writs direction
}

// direction is the deadline state of one direction, in Unix nanoseconds
// (0: none).
type direction struct {
	want  int64 // what the caller asked for
	armed int64 // what the socket has
	busy  bool  // a Read (Write) is in progress
}

// NewConn wraps c; its deadlines may fire up to slack late.
func NewConn(c net.Conn, slack time.Duration) *Conn {
	return &Conn{Conn: c, slack: int64(max(slack, 0))}
}

// Read arms the read deadline if it must, then reads.
func (c *Conn) Read(p []byte) (int, error) {
	if err := c.begin(&c.reads); err != nil {
		return 0, err
	}
	defer c.end(&c.reads)
	return c.Conn.Read(p)
}

// Write arms the write deadline if it must, then writes.
func (c *Conn) Write(p []byte) (int, error) {
	if err := c.begin(&c.writs); err != nil {
		return 0, err
	}
	defer c.end(&c.writs)
	return c.Conn.Write(p)
}

// begin arms d's deadline if it must and marks a call of d in progress,
// unless arming fails.
func (c *Conn) begin(d *direction) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.settle(d); err != nil {
		return err
	}
	d.busy = true
	return nil
}

func (c *Conn) end(d *direction) {
	c.mu.Lock()
	d.busy = false
	c.mu.Unlock()
}

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return joinFirst(c.set(&c.reads, t), c.set(&c.writs, t))
}

// SetReadDeadline sets the deadline of later Reads, and of a Read in progress.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set(&c.reads, t)
}

// SetWriteDeadline sets the deadline of later Writes, and of a Write in progress.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set(&c.writs, t)
}

// set records t as d's deadline, applying it now if a call is waiting.
// Callers hold mu.
func (c *Conn) set(d *direction, t time.Time) error {
	d.want = 0
	if !t.IsZero() {
		d.want = max(t.UnixNano(), 1)
	}
	if d.busy {
		return c.settle(d)
	}
	return nil
}

// settle puts d's wanted deadline on the socket unless the armed one is no
// earlier and at most the slack later. A deadline newly armed is the wanted
// one plus the slack, so that deadlines creeping forward with each request
// are absorbed for a slack's time. Callers hold mu.
func (c *Conn) settle(d *direction) error {
	next := d.want
	switch {
	case d.want == d.armed:
		return nil
	case d.want != 0 && d.armed != 0 && d.armed >= d.want && d.armed-d.want <= c.slack:
		return nil
	case d.want != 0:
		next += c.slack
	}
	if err := c.apply(d, next); err != nil {
		return err
	}
	d.armed = next
	return nil
}

// apply sets the socket's deadline of direction d to the Unix time in
// nanoseconds at (0: none).
func (c *Conn) apply(d *direction, at int64) error {
	t := time.Time{}
	if at != 0 {
		t = time.Unix(0, at)
	}
	if d == &c.reads {
		return c.Conn.SetReadDeadline(t)
	}
	return c.Conn.SetWriteDeadline(t)
}

func joinFirst(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
