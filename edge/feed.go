package edge

import (
	"pixcdn/contract"
	"pixcdn/edge/eventfeed"
)

// Event is one origin event (package contract).
type Event = contract.Event

// follower is the follower of the origin's event feed (package eventfeed):
// it applies each event as a purge, tells the feed positions every
// position reached, and announces live events for pre-rendering.
func (s *Server) follower() *eventfeed.Follower {
	return &eventfeed.Follower{
		Source: s.deps.Events, Store: s.deps.FeedState, Log: s.log,
		Apply: func(events []Event) {
			for i := range events {
				s.applyEvent(&events[i])
			}
		},
		Reached: s.feed.advance,
		Live:    s.announceEvents,
	}
}

// applyEvent turns one origin event into a purge.
func (s *Server) applyEvent(ev *Event) {
	p := ev.Purge()
	if err := p.Validate(); err != nil {
		s.log.Warn("ignoring bad event", "seq", ev.Seq, "err", err)
		return
	}
	s.applyPurge(&p, "feed")
}
