package cluster

import (
	"fmt"
	"time"

	"github.com/hashicorp/memberlist"
)

// delegate receives memberlist callbacks. memberlist may hold its node lock
// while calling them, so each one only records state and signals the rebuild
// loop: none blocks or calls back into memberlist.
type delegate struct{ c *Cluster }

var (
	_ memberlist.Delegate         = (*delegate)(nil)
	_ memberlist.EventDelegate    = (*delegate)(nil)
	_ memberlist.AliveDelegate    = (*delegate)(nil)
	_ memberlist.ConflictDelegate = (*delegate)(nil)
)

// NodeMeta advertises the internal address, ring version and leaving flag.
func (d *delegate) NodeMeta(limit int) []byte {
	c := d.c
	b := nodeMeta{
		Fingerprint: c.fp, RingVersion: c.advertised.Load(),
		InternalAddr: c.cfg.InternalAddr, Leaving: c.leaving.Load(),
	}.encode()
	if len(b) > limit { // cannot happen: Validate bounds the address
		c.log.Error("node metadata over limit", "bytes", len(b), "limit", limit)
		return nil
	}
	return b
}

// NotifyAlive refuses nodes whose metadata is unreadable or whose ring
// parameters differ: mixing placements would split ownership.
func (d *delegate) NotifyAlive(n *memberlist.Node) error {
	m, err := decodeMeta(n.Meta)
	if err != nil {
		return err
	}
	if m.Fingerprint != d.c.fp {
		return fmt.Errorf("cluster: node %s uses different ring parameters", n.Name)
	}
	return nil
}

// NotifyJoin marks the ring dirty and stops reconnect attempts to n.
func (d *delegate) NotifyJoin(n *memberlist.Node) {
	d.c.view.set(n)
	d.c.reconn.forget(n.Name)
	d.c.markChanged()
}

// NotifyLeave marks the ring dirty; a node that failed (rather than left
// gracefully) is remembered for reconnect attempts to heal partitions.
func (d *delegate) NotifyLeave(n *memberlist.Node) {
	d.c.view.remove(n.Name)
	if m, err := decodeMeta(n.Meta); err == nil && !m.Leaving && n.Name != d.c.cfg.NodeName {
		d.c.reconn.remember(n.Name, n.Address(), time.Now())
	}
	d.c.markChanged()
}

// NotifyUpdate marks the ring dirty (ring versions and leaving flags travel
// in metadata).
func (d *delegate) NotifyUpdate(n *memberlist.Node) {
	d.c.view.set(n)
	d.c.markChanged()
}

// NotifyConflict logs a name claimed from two addresses. When the name is
// ours, the cluster still holds our previous incarnation (we restarted on a
// new address): the rejoin loop then re-announces us until peers accept.
func (d *delegate) NotifyConflict(existing, other *memberlist.Node) {
	d.c.log.Warn("node name claimed from two addresses",
		"name", existing.Name, "known", existing.Address(), "other", other.Address())
	if existing.Name == d.c.cfg.NodeName {
		d.c.reconn.selfConflict(time.Now())
	}
}

// LocalState sends no application state in push/pull.
func (d *delegate) LocalState(bool) []byte { return nil }

// MergeRemoteState ignores remote application state.
func (d *delegate) MergeRemoteState([]byte, bool) {}

// GetBroadcasts hands queued broadcasts to memberlist's gossip.
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.c.queue.GetBroadcasts(overhead, limit)
}

// NotifyMsg receives a broadcast frame; b is only valid during the call.
func (d *delegate) NotifyMsg(b []byte) { d.c.receive(b) }

// markChanged signals the rebuild loop without blocking.
func (c *Cluster) markChanged() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}
