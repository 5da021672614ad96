package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

// recorder counts messages per receiving node.
type recorder struct {
	mu  sync.Mutex
	got map[string]map[string]int // node -> payload -> times handled
}

func (r *recorder) handler(node string) Option {
	return WithHandler(func(msg []byte) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.got[node] == nil {
			r.got[node] = map[string]int{}
		}
		r.got[node][string(msg)]++
	})
}

func (r *recorder) count(node, msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[node][msg]
}

func TestBroadcastReachesEveryMemberOnce(t *testing.T) {
	rec := &recorder{got: map[string]map[string]int{}}
	var nodes []*Cluster
	for i := range 5 {
		var seeds []string
		if i > 0 {
			seeds = []string{gossipAddr(nodes[0])}
		}
		name := fmt.Sprintf("node-%d", i)
		nodes = append(nodes, start(t, testConfig(name, seeds...), rec.handler(name)))
	}
	testenv.WaitFor(t, convergeTimeout, "5 nodes to agree", func() bool { return agreed(nodes, 5) })
	const msgs = 20
	for i := range msgs {
		if err := nodes[i%5].Broadcast(fmt.Appendf(nil, "purge %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	sent := time.Now()
	testenv.WaitFor(t, convergeTimeout, "every message at every other node", func() bool {
		for i := range msgs {
			for j, c := range nodes {
				if j != i%5 && rec.count(c.cfg.NodeName, fmt.Sprintf("purge %d", i)) == 0 {
					return false
				}
			}
		}
		return true
	})
	t.Logf("%d broadcasts reached all 4 other members in %v", msgs, time.Since(sent))
	testenv.WaitFor(t, convergeTimeout, "gossip queues to drain", func() bool {
		for _, c := range nodes {
			if c.queue.NumQueued() > 0 {
				return false
			}
		}
		return true
	})
	var dups uint64
	for j, c := range nodes {
		dups += c.Stats().Duplicates
		for i := range msgs {
			want := 1
			if j == i%5 {
				want = 0 // the sender's handler is not called
			}
			if got := rec.count(c.cfg.NodeName, fmt.Sprintf("purge %d", i)); got != want {
				t.Fatalf("%s handled message %d %d times, want %d", c.cfg.NodeName, i, got, want)
			}
		}
	}
	t.Logf("duplicates dropped across the cluster: %d", dups)
}

func TestMessageReceivedTwiceIsHandledOnce(t *testing.T) {
	handled := make(chan []byte, 4)
	c := start(t, testConfig("solo"), WithHandler(func(m []byte) { handled <- m }))
	frame := encodeMessage(newIDSource().id(), []byte("invalidate acme/cats/tom.jpg"))
	c.receive(frame)
	c.receive(bytes.Clone(frame))
	select {
	case m := <-handled:
		if string(m) != "invalidate acme/cats/tom.jpg" {
			t.Fatalf("handled %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("message not handled")
	}
	testenv.WaitFor(t, 5*time.Second, "duplicate counted", func() bool { return c.Stats().Duplicates == 1 })
	select {
	case m := <-handled:
		t.Fatalf("duplicate handled: %q", m)
	default:
	}
	c.receive([]byte{0})
	if c.Stats().Malformed != 1 {
		t.Fatalf("malformed frame not counted: %+v", c.Stats())
	}
}

func TestBroadcastLimits(t *testing.T) {
	cfg := testConfig("solo")
	cfg.BroadcastBacklog = 8
	c := start(t, cfg)
	if err := c.Broadcast(make([]byte, cfg.MaxBroadcastBytes+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized broadcast: %v", err)
	}
	for range 20 {
		if err := c.Broadcast([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	// Alone, nothing is transmitted, so the queue holds at most the backlog.
	if q, s := c.queue.NumQueued(), c.Stats(); q > 8 || s.BroadcastsDropped != 12 {
		t.Fatalf("queued %d, dropped %d; want ≤ 8 queued, 12 dropped", q, s.BroadcastsDropped)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Broadcast([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("broadcast after close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
