package cluster

import "time"

// rebuildLoop rebuilds the ring after membership has been quiet for
// RebuildDebounce, or at most RebuildMaxDelay after the first change. It is
// the only writer of c.ring after Join.
func (c *Cluster) rebuildLoop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.stop:
			return
		case <-c.changed:
		}
		if !c.debounce() {
			return
		}
		c.rebuild()
	}
}

// debounce waits for a quiet period; false means Close was called.
func (c *Cluster) debounce() bool {
	deadline := time.NewTimer(c.cfg.RebuildMaxDelay)
	defer deadline.Stop()
	quiet := time.NewTimer(c.cfg.RebuildDebounce)
	defer quiet.Stop()
	for {
		select {
		case <-c.stop:
			return false
		case <-c.changed:
			quiet.Reset(c.cfg.RebuildDebounce)
		case <-quiet.C:
			return true
		case <-deadline.C:
			return true
		}
	}
}

// rebuild builds a ring from memberlist's live members, publishes it, tells
// subscribers, and advertises a new ring version in our metadata. A failed
// build keeps the previous ring and is reported.
func (c *Cluster) rebuild() {
	members := c.liveMembers()
	next, err := rebuildRing(c.params, c.ring.Load(), members, c.cfg.NodeName)
	if err != nil && c.leaving.Load() {
		// This node has left: its own entry is marked leaving, so no ring
		// holds it. Keep serving with the previous ring until Close.
		c.log.Debug("ring not rebuilt: this node is leaving", "members", len(members), "err", err)
		return
	}
	if err != nil {
		c.stats.ringErrors.Add(1)
		c.log.Error("ring rebuild failed; keeping the previous ring", "members", len(members), "err", err)
		c.notify([]Event{{Type: RingFailed, RingVersion: c.RingVersion()}})
		return
	}
	next = c.withSelfVersion(next)
	prev := c.ring.Swap(next)
	c.stats.rebuilds.Add(1)
	c.notify(diffRings(prev, next))
	// After Leave memberlist ignores our alive messages, so an update would
	// only wait out its timeout.
	if next.Version() != c.advertised.Load() && !c.leaving.Load() {
		c.advertised.Store(next.Version())
		c.log.Info("ring changed", "members", next.Len(), "version", next.Version())
		if err := c.ml.UpdateNode(c.cfg.Timings.TCPTimeout); err != nil {
			c.log.Debug("ring version update not confirmed", "err", err)
		}
	}
}

// withSelfVersion records that this node advertises r's version (it is about
// to), so the local view of self agrees with the ring.
func (c *Cluster) withSelfVersion(r *Ring) *Ring {
	if r.self >= 0 {
		r.members[r.self].RingVersion = r.version
	}
	return r
}

// liveMembers converts the live nodes, skipping nodes that are leaving or
// whose metadata cannot be read.
func (c *Cluster) liveMembers() []Member {
	nodes := c.view.snapshot()
	out := make([]Member, 0, len(nodes))
	for name, n := range nodes {
		meta, err := decodeMeta(n.meta)
		if err != nil || meta.Leaving || meta.Fingerprint != c.fp {
			continue
		}
		out = append(out, Member{
			Name: name, InternalAddr: meta.InternalAddr,
			GossipAddr: n.addr, RingVersion: meta.RingVersion,
		})
	}
	return out
}

func (c *Cluster) notify(evs []Event) {
	if len(evs) == 0 {
		return
	}
	if d := c.subs.publish(evs); d > 0 {
		c.stats.eventsDropped.Add(uint64(d))
	}
}

// diffRings lists member joins, leaves and updates from prev to next, then a
// RingChanged event when the version moved.
func diffRings(prev, next *Ring) []Event {
	v := next.Version()
	old := make(map[string]Member, prev.Len())
	for _, m := range prev.members {
		old[m.Name] = m
	}
	var evs []Event
	for _, m := range next.members {
		o, ok := old[m.Name]
		delete(old, m.Name)
		switch {
		case !ok:
			evs = append(evs, Event{Type: MemberJoined, Member: m, RingVersion: v})
		case o.InternalAddr != m.InternalAddr || o.GossipAddr != m.GossipAddr || o.RingVersion != m.RingVersion:
			evs = append(evs, Event{Type: MemberUpdated, Member: m, RingVersion: v})
		}
	}
	for _, m := range prev.members {
		if _, gone := old[m.Name]; gone {
			evs = append(evs, Event{Type: MemberLeft, Member: m, RingVersion: v})
		}
	}
	if prev.Version() != v {
		evs = append(evs, Event{Type: RingChanged, RingVersion: v})
	}
	return evs
}
