package cluster

import "sync"

// EventType says what changed.
type EventType int

const (
	// MemberJoined: a member entered the ring.
	MemberJoined EventType = iota + 1
	// MemberLeft: a member left the ring (graceful leave or failure).
	MemberLeft
	// MemberUpdated: a member's addresses or advertised ring version changed.
	MemberUpdated
	// RingChanged: a new ring was published; Event.RingVersion is its version.
	RingChanged
	// RingFailed: a rebuild failed and the previous ring stays in force.
	RingFailed
)

func (t EventType) String() string {
	switch t {
	case MemberJoined:
		return "joined"
	case MemberLeft:
		return "left"
	case MemberUpdated:
		return "updated"
	case RingChanged:
		return "ring-changed"
	case RingFailed:
		return "ring-failed"
	}
	return "unknown"
}

// Event is one membership change, delivered after the ring that reflects it
// was published (so Owner already answers with it).
type Event struct {
	Type        EventType
	Member      Member // zero for RingChanged and RingFailed
	RingVersion uint64 // the current ring's version
}

// subscriberBuffer is each subscription's channel capacity.
const subscriberBuffer = 256

type subscribers struct {
	mu     sync.Mutex
	chans  map[*chan Event]struct{}
	closed bool
}

// Subscribe returns a channel of membership events and a cancel function that
// closes it (idempotent). Events are sent without blocking: a subscriber that
// falls subscriberBuffer events behind misses events (counted in
// Stats.EventsDropped) and should resynchronise from Members(). The channel is
// closed by cancel or Close.
func (c *Cluster) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, subscriberBuffer)
	s := &c.subs
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		close(ch)
		return ch, func() {}
	}
	if s.chans == nil {
		s.chans = map[*chan Event]struct{}{}
	}
	s.chans[&ch] = struct{}{}
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.chans[&ch]; ok {
			delete(s.chans, &ch)
			close(ch)
		}
	}
}

// publish sends evs to every subscriber without blocking; it returns how many
// sends were dropped.
func (s *subscribers) publish(evs []Event) (dropped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.chans {
		for _, e := range evs {
			select {
			case *ch <- e:
			default:
				dropped++
			}
		}
	}
	return dropped
}

func (s *subscribers) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.chans {
		close(*ch)
	}
	s.chans, s.closed = nil, true
}
