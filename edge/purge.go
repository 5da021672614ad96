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
		msg, _ := json.Marshal(&p)
		if err := s.deps.Broadcaster.Broadcast(append([]byte{broadcastPrefix}, msg...)); err != nil {
			s.log.Warn("purge broadcast failed", "err", err)
		}
	}
	writeText(ctx, fasthttp.StatusOK, "purged")
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
	s.neg.clear()
	if p.Seq > 0 && !s.purges.firstTime(p.Seq) {
		return
	}
	if !p.At.IsZero() {
		s.metrics.purgeLag.WithLabelValues(path).Observe(max(s.now().Sub(p.At).Seconds(), 0))
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
