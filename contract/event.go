package contract

import (
	"errors"
	"fmt"
	"time"
)

// EventKind says what an event changed.
type EventKind string

// Event kinds. A receiver treats a kind it does not know as a change of
// the image named by PublicID.
const (
	KindUpdated     EventKind = "updated"
	KindDeleted     EventKind = "deleted"
	KindVisibility  EventKind = "visibility"
	KindPurgeTag    EventKind = "purge-tag"
	KindPurgePrefix EventKind = "purge-prefix"
)

// Event is one invalidation event of the origin: a row of its outbox, as
// the feed (GET /v1/events) serves it and the origin pushes it at commit.
type Event struct {
	Seq int64 `json:"seq"` // position in the feed; 0 when pushed at commit, before it has one
	// ID is the outbox row's id, known at commit, before the event has a
	// Seq: the same event pushed at commit and read from the feed later
	// carries the same ID, which receivers use to apply it once.
	ID       int64     `json:"id"`
	Tenant   string    `json:"tenant"`
	PublicID string    `json:"public_id"`
	Version  int64     `json:"version"`
	Kind     EventKind `json:"kind"`
	Tags     []string  `json:"tags"`   // KindPurgeTag
	Prefix   string    `json:"prefix"` // KindPurgePrefix
	At       time.Time `json:"at"`     // commit time at the origin
}

// PurgeRequest is the body of an edge's POST /_purge and of the edges'
// purge broadcasts. Event, Seq and At come from the origin's event (zero
// for manual purges): Event (or, from an origin that sends none, Seq)
// dedupes deliveries arriving by several paths (DedupKey), At measures
// the purge lag.
type PurgeRequest struct {
	Tenant string    `json:"tenant"`
	IDs    []string  `json:"ids,omitempty"`
	Tags   []string  `json:"tags,omitempty"`
	Prefix string    `json:"prefix,omitempty"`
	All    bool      `json:"all,omitempty"`
	Event  int64     `json:"event,omitempty"`
	Seq    int64     `json:"seq,omitempty"`
	At     time.Time `json:"at,omitempty"`
}

// Purge is the purge ev implies: its tags, its prefix, or (every other
// kind, including kinds added later) its image.
func (ev *Event) Purge() PurgeRequest {
	p := PurgeRequest{Tenant: ev.Tenant, Event: ev.ID, Seq: ev.Seq, At: ev.At}
	switch ev.Kind {
	case KindPurgeTag:
		p.Tags = ev.Tags
	case KindPurgePrefix:
		p.Prefix = ev.Prefix
	default:
		p.IDs = []string{ev.PublicID}
	}
	return p
}

// Validate checks that p names a valid tenant, valid ids, and something
// to purge. Its errors are safe to show to a client.
func (p *PurgeRequest) Validate() error {
	if err := CheckTenant(p.Tenant); err != nil {
		return fmt.Errorf("tenant: %w", err)
	}
	for _, id := range p.IDs {
		if err := CheckPublicID(id); err != nil {
			return fmt.Errorf("ids: %w", err)
		}
	}
	if len(p.IDs) == 0 && len(p.Tags) == 0 && p.Prefix == "" && !p.All {
		return errors.New("nothing to purge: give ids, tags, prefix or all")
	}
	return nil
}

// DedupKey is the key under which deliveries of one origin event are
// recognised: its outbox id, or, from an origin that sends none, its
// sequence number negated (the two never collide). Manual purges have
// none.
func (p *PurgeRequest) DedupKey() (int64, bool) {
	switch {
	case p.Event > 0:
		return p.Event, true
	case p.Seq > 0:
		return -p.Seq, true
	}
	return 0, false
}
