package cluster

import "sync/atomic"

// Stats are cumulative counters since Join.
type Stats struct {
	RingRebuilds      uint64 // rings built and published
	RingErrors        uint64 // rebuilds that failed (previous ring kept)
	BroadcastsSent    uint64 // Broadcast calls accepted
	BroadcastsDropped uint64 // queued frames dropped by the backlog bound
	Received          uint64 // first sightings of other nodes' messages
	Duplicates        uint64 // messages dropped as already seen
	HandlerDropped    uint64 // messages dropped because the handler queue was full
	Malformed         uint64 // undecodable frames
	EventsDropped     uint64 // events a full subscriber channel missed
}

type counters struct {
	rebuilds, ringErrors, broadcastsSent, backlogDropped           atomic.Uint64
	received, duplicates, handlerDropped, malformed, eventsDropped atomic.Uint64
}

// Stats returns a snapshot of the counters. Lock-free.
func (c *Cluster) Stats() Stats {
	s := &c.stats
	return Stats{
		RingRebuilds: s.rebuilds.Load(), RingErrors: s.ringErrors.Load(),
		BroadcastsSent: s.broadcastsSent.Load(), BroadcastsDropped: s.backlogDropped.Load(),
		Received: s.received.Load(), Duplicates: s.duplicates.Load(),
		HandlerDropped: s.handlerDropped.Load(), Malformed: s.malformed.Load(),
		EventsDropped: s.eventsDropped.Load(),
	}
}
