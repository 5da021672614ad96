package edge

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"pixcdn/contract"
)

// PurgeRequest is the body of POST /_purge and of purge broadcasts
// (package contract).
type PurgeRequest = contract.PurgeRequest

// purgeLocal drops what matches purge from this node: cache, hot copies,
// memoised entries and negative answers.
func (s *Server) purgeLocal(purge Purge) {
	s.deps.Cache.Purge(purge)
	s.hot.Purge(func(e Entry) bool { return purgeCovers(purge, &e.Image) })
	// After the cache purge: an entry read before it carries the old
	// generation and is dropped from the requests' L0 slots.
	s.gen.Add(1)
	s.neg.Clear()
	s.signedImages.Clear()
}

// broadcastPrefix marks a purge message on the cluster's broadcast channel.
const broadcastPrefix = 'P'

// purgeFromPort applies a purge posted to the internal port (POST /_purge)
// and spreads it to the cluster. An error names what is wrong with body.
func (s *Server) purgeFromPort(body []byte) error {
	var p PurgeRequest
	if err := json.Unmarshal(body, &p); err != nil {
		return errors.New("invalid JSON")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	s.applyPurge(&p, "push")
	if s.deps.Broadcaster != nil {
		for _, msg := range broadcastMessages(&p) {
			if err := s.deps.Broadcaster.Broadcast(msg); err != nil {
				s.log.Warn("purge broadcast failed", "err", err)
			}
		}
	}
	return nil
}

// maxBroadcastBytes keeps one purge message within a gossip packet.
const maxBroadcastBytes = 900

// broadcastMessages encodes p as one or more broadcast messages of at most
// maxBroadcastBytes, splitting long id and tag lists (a single id or tag
// too long for a packet is sent alone and may be refused by the cluster;
// the origin's feed still delivers origin-made purges).
func broadcastMessages(p *PurgeRequest) [][]byte {
	encode := func(q *PurgeRequest) []byte {
		b, _ := json.Marshal(q)
		return append([]byte{broadcastPrefix}, b...)
	}
	if msg := encode(p); len(msg) <= maxBroadcastBytes || len(p.IDs)+len(p.Tags) <= 1 {
		return [][]byte{msg}
	}
	var out [][]byte
	for _, half := range splitPurge(p) {
		out = append(out, broadcastMessages(&half)...)
	}
	return out
}

// splitPurge splits p in two smaller purges covering the same entries:
// halves of the longer id or tag list, or, for one id and one tag, one
// each. Each part names at least one thing, so splitting always ends.
func splitPurge(p *PurgeRequest) [2]PurgeRequest {
	a, b := *p, *p
	b.Prefix, b.All = "", false
	switch {
	case len(p.IDs) >= 2 && len(p.IDs) >= len(p.Tags):
		n := len(p.IDs) / 2
		a.IDs, a.Tags, b.IDs = p.IDs[:n], nil, p.IDs[n:]
	case len(p.Tags) >= 2:
		n := len(p.Tags) / 2
		a.Tags, a.IDs, b.Tags = p.Tags[:n], nil, p.Tags[n:]
	default: // one id and one tag
		a.Tags, b.IDs = nil, nil
	}
	return [2]PurgeRequest{a, b}
}

// HandleBroadcast receives a cluster broadcast (give it to cluster.Join as
// the message handler). It never blocks on the network and ignores
// messages it does not understand. Safe for concurrent use.
func (s *Server) HandleBroadcast(msg []byte) {
	if len(msg) == 0 || msg[0] != broadcastPrefix {
		return
	}
	var p PurgeRequest
	if err := json.Unmarshal(msg[1:], &p); err != nil || p.Validate() != nil {
		s.log.Warn("ignoring malformed purge broadcast")
		return
	}
	s.applyPurge(&p, "gossip")
}

// applyPurge applies a purge. An origin event arrives by push, gossip and
// feed; only its first delivery purges and counts its lag, and later ones
// return at once, so a duplicate neither costs a disk write nor drops the
// hot copies and memoised entries refilled since. A duplicate from the
// feed waits until the first delivery's purge is done, because the feed
// then persists its position past the event. An origin event first
// delivered live (push or gossip) is applied once more settleAfter later
// (see settlePurges); one first read from the feed is not: the feed
// brings what this node missed, which its peers applied long before, and
// a second purge would only drop what was filled since (at start, the
// whole catch-up's worth). Manual purges always apply.
func (s *Server) applyPurge(p *PurgeRequest, path string) {
	purge := Purge{Tenant: p.Tenant, PublicIDs: p.IDs, Tags: p.Tags, Prefix: p.Prefix, All: p.All}
	if key, ok := p.DedupKey(); ok {
		first, done := s.purges.claim(key)
		if !first {
			if path == "feed" {
				<-done
			}
			return
		}
		defer s.purges.finish(key)
		if path != "feed" {
			defer s.settling.add(purge, time.Now().Add(s.settleAfter))
		}
	}
	if s.deps.Events != nil {
		s.feed.noteEvent(p.Tenant, p.Seq)
	}
	s.purgeLocal(purge)
	if p.At.IsZero() {
		return
	}
	lag := max(s.clock().Sub(p.At), 0)
	s.metrics.purgeLag.WithLabelValues(path).Observe(lag.Seconds())
	s.log.Debug("origin event applied", "event", p.Event, "seq", p.Seq, "path", path, "lag", lag)
}

// purgeCovers reports whether p selects the image ref.
func purgeCovers(p Purge, r *ImageRef) bool {
	if p.Tenant == "" {
		return p.All
	}
	if p.Tenant != r.Tenant {
		return false
	}
	if p.All {
		return true
	}
	for _, id := range p.PublicIDs {
		if id == r.PublicID {
			return true
		}
	}
	for _, t := range p.Tags {
		for _, rt := range r.Tags {
			if t == rt {
				return true
			}
		}
	}
	return p.Prefix != "" && strings.HasPrefix(r.PublicID, p.Prefix)
}
