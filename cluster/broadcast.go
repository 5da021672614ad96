package cluster

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/hashicorp/memberlist"
)

// ErrTooLarge is returned by Broadcast for a payload over MaxBroadcastBytes.
var ErrTooLarge = errors.New("cluster: broadcast message too large")

// Broadcast queues msg for gossip to every other member and returns without
// waiting. Delivery is best-effort: see the package documentation for what is
// and is not guaranteed. The local handler is not called for msg. The
// Cluster copies msg. Safe for concurrent use.
func (c *Cluster) Broadcast(msg []byte) error {
	select {
	case <-c.stop:
		return ErrClosed
	default:
	}
	if len(msg) > c.cfg.MaxBroadcastBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(msg), c.cfg.MaxBroadcastBytes)
	}
	id := c.ids.id()
	c.dedup.firstTime(id) // our own message coming back is a duplicate
	c.enqueue(encodeMessage(id, msg))
	c.stats.broadcastsSent.Add(1)
	return nil
}

// enqueue adds a frame to the transmit-limited queue, dropping the oldest
// frames beyond the backlog bound.
func (c *Cluster) enqueue(frame []byte) {
	c.queue.QueueBroadcast(frameBroadcast(frame))
	if over := c.queue.NumQueued() - c.cfg.BroadcastBacklog; over > 0 {
		c.queue.Prune(c.cfg.BroadcastBacklog)
		c.stats.backlogDropped.Add(uint64(over))
	}
}

// receive handles a frame from memberlist; b is only valid during the call.
// First sightings are re-queued for gossip (epidemic spread, which keeps
// reach high when the origin's own retransmissions are lost) and handed to
// the handler; duplicates are counted and dropped.
func (c *Cluster) receive(b []byte) {
	id, payload, err := decodeMessage(b)
	if err != nil {
		c.stats.malformed.Add(1)
		return
	}
	if !c.dedup.firstTime(id) {
		c.stats.duplicates.Add(1)
		return
	}
	c.stats.received.Add(1)
	c.enqueue(bytes.Clone(b))
	if c.handler == nil {
		return
	}
	select {
	case c.inbox <- bytes.Clone(payload):
	default:
		c.stats.handlerDropped.Add(1)
	}
}

// handlerLoop runs the handler for queued messages until Close.
func (c *Cluster) handlerLoop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.stop:
			return
		case msg := <-c.inbox:
			c.handler(msg)
		}
	}
}

// frameBroadcast is a queued frame. Frames never invalidate each other.
type frameBroadcast []byte

func (f frameBroadcast) Invalidates(memberlist.Broadcast) bool { return false }
func (f frameBroadcast) Message() []byte                       { return f }
func (f frameBroadcast) Finished()                             {}
