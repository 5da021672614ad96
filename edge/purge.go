package edge

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"pixcdn/edge/imgurl"
)

// PurgeRequest is the body of POST /_purge and of purge broadcasts. Seq and
// At come from the origin's event (zero for manual purges): At measures the
// purge lag, Seq dedupes deliveries arriving by several paths.
type PurgeRequest struct {
	Tenant string    `json:"tenant"`
	IDs    []string  `json:"ids,omitempty"`
	Tags   []string  `json:"tags,omitempty"`
	Prefix string    `json:"prefix,omitempty"`
	All    bool      `json:"all,omitempty"`
	Seq    int64     `json:"seq,omitempty"`
	At     time.Time `json:"at,omitempty"`
}

// validate checks that the purge names a tenant and something to purge.
func (p *PurgeRequest) validate() error {
	if err := imgurl.CheckTenant(p.Tenant); err != nil {
		return fmt.Errorf("tenant: %w", err)
	}
	for _, id := range p.IDs {
		if err := imgurl.CheckPublicID(id); err != nil {
			return fmt.Errorf("ids: %w", err)
		}
	}
	if len(p.IDs) == 0 && len(p.Tags) == 0 && p.Prefix == "" && !p.All {
		return errors.New("nothing to purge: give ids, tags, prefix or all")
	}
	return nil
}

// broadcastPrefix marks a purge message on the cluster's broadcast channel.
const broadcastPrefix = 'P'

// servePurge handles POST /_purge (bearer purge token) and spreads the purge
// to the cluster.
func (s *Server) servePurge(ctx *fasthttp.RequestCtx) {
	if !ctx.IsPost() {
		writeText(ctx, fasthttp.StatusMethodNotAllowed, "POST only")
		return
	}
	if !s.purgeAuthorized(&ctx.Request.Header) {
		writeText(ctx, fasthttp.StatusUnauthorized, "unauthorized")
		return
	}
	var p PurgeRequest
	if err := json.Unmarshal(ctx.PostBody(), &p); err != nil {
		writeText(ctx, fasthttp.StatusBadRequest, "bad purge body: invalid JSON")
		return
	}
	if err := p.validate(); err != nil {
		writeText(ctx, fasthttp.StatusBadRequest, "bad purge body: "+err.Error())
		return
	}
	s.applyPurge(&p, "push")
	if s.deps.Broadcaster != nil {
		for _, msg := range broadcastMessages(&p) {
			if err := s.deps.Broadcaster.Broadcast(msg); err != nil {
				s.log.Warn("purge broadcast failed", "err", err)
			}
		}
	}
	writeText(ctx, fasthttp.StatusOK, "purged")
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

func (s *Server) purgeAuthorized(h *fasthttp.RequestHeader) bool {
	if s.cfg.PurgeToken == "" {
		return false
	}
	want := "Bearer " + s.cfg.PurgeToken
	return subtle.ConstantTimeCompare(h.Peek(fasthttp.HeaderAuthorization), []byte(want)) == 1
}

// HandleBroadcast receives a cluster broadcast (give it to cluster.Join as
// the message handler). It never blocks on the network and ignores
// messages it does not understand. Safe for concurrent use.
func (s *Server) HandleBroadcast(msg []byte) {
	if len(msg) == 0 || msg[0] != broadcastPrefix {
		return
	}
	var p PurgeRequest
	if err := json.Unmarshal(msg[1:], &p); err != nil || p.validate() != nil {
		s.log.Warn("ignoring malformed purge broadcast")
		return
	}
	s.applyPurge(&p, "gossip")
}

// applyPurge applies a purge idempotently. A purge carrying an origin
// sequence number that was already applied (it arrives by push, gossip
// and feed) is applied again harmlessly but its lag is counted once.
func (s *Server) applyPurge(p *PurgeRequest, path string) {
	purge := Purge{Tenant: p.Tenant, PublicIDs: p.IDs, Tags: p.Tags, Prefix: p.Prefix, All: p.All}
	s.deps.Cache.Purge(purge)
	s.hot.purge(purge)
	// After the cache purge: an entry read before it carries the old
	// generation and is dropped from the requests' L0 slots.
	s.gen.Add(1)
	s.neg.clear()
	s.signedImages.clear()
	if p.Seq > 0 && !s.purges.firstTime(p.Seq) {
		return
	}
	if !p.At.IsZero() {
		s.metrics.purgeLag.WithLabelValues(path).Observe(max(s.clock().Sub(p.At).Seconds(), 0))
	}
}

// purgeLog remembers the last n applied sequence numbers.
type purgeLog struct {
	mu   sync.Mutex
	seen map[int64]struct{}
	ring []int64
	next int
}

func newPurgeLog(n int) *purgeLog {
	return &purgeLog{seen: make(map[int64]struct{}, n), ring: make([]int64, n)}
}

// firstTime records seq and reports whether it was new.
func (l *purgeLog) firstTime(seq int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.seen[seq]; ok {
		return false
	}
	delete(l.seen, l.ring[l.next])
	l.ring[l.next] = seq
	l.next = (l.next + 1) % len(l.ring)
	l.seen[seq] = struct{}{}
	return true
}
