package edge

import (
	"context"
	"net/netip"
	"time"

	"pixcdn/edge/imgurl"
	"pixcdn/transform"
)

// Format budgets: a negotiated (fm=auto) request never waits for a slow
// encode (AVIF, JPEG XL) when its client accepts a cheaper format too. On
// this node's miss, the node that fills the variant (its ring owner, or
// whoever serves it when the owner cannot) answers at once with the
// variant of the cheaper class, cached under its own key as any variant,
// but served provisionally: its own ETag, fresh for FallbackMaxAge, never
// kept in L0 or as a hot copy. Meanwhile the slow variant is made on the
// background lane (at most BackgroundRenders at once, dropped when full),
// so later requests get it. The cheaper variant is made where the slow one
// is, beside the original both need, rather than by its own ring owner: that
// costs no second original fetch and no extra hop.

// backgroundClient is the transform client of background renders: the
// transform workers serve it in turn with every requesting client
// (transform.WithClient), so the lane never holds more than its share.
// Not transform.WithBackground, which runs only on an idle processor: a
// node that is never idle would then never make the slow format.
const backgroundClient = "background"

// fallbackOf returns the request that answers r while r's variant is made
// in the background: nil when budgets are off, r's format was not
// negotiated, or its variant is not slow to make.
func (s *Server) fallbackOf(r *request) *request {
	if s.budget == nil || !r.vary {
		return nil
	}
	format, ok := s.budget.Cheaper(r.format)
	if !ok {
		return nil
	}
	return &request{
		tenant: r.tenant, publicID: r.publicID, signed: r.signed, variant: r.variant,
		format: format, vary: true, hinted: r.hinted, hints: r.hints, varyHeader: r.varyHeader,
		key: imgurl.VariantKey(r.tenant, r.publicID, r.variant.Canonical, format), origKey: r.origKey,
	}
}

// fillFallback starts rendering r's variant in the background and answers
// with fb's (fallbackOf), from the cache or from a fill of its own that
// counts as the client's miss like any other. orig is the original when
// the caller read it already.
func (s *Server) fillFallback(parent context.Context, r, fb *request, client netip.Addr, orig *source, now time.Time) (Entry, error) {
	s.renderInBackground(r, orig)
	e, ok := s.cacheGet(parent, fb.key, keyVariant)
	if !ok || e.state(now) != fresh {
		var err error
		if e, err = s.fillFor(parent, fb, client, orig); err != nil {
			return Entry{}, err
		}
	}
	s.metrics.fallbacks.Inc()
	return provisional(e, s.cfg.FallbackMaxAge, now), nil
}

// provisional returns e as the stand-in for a variant still being made:
// fresh from now for maxAge (less when e goes stale sooner), with no stale
// windows, marked Provisional.
func provisional(e Entry, maxAge time.Duration, now time.Time) Entry {
	maxAge = max(min(maxAge, e.FreshUntil.Sub(now)), 0)
	e.Policy = Policy{MaxAge: maxAge, Private: e.Policy.Private}
	e.Created, e.FreshUntil, e.StaleUntil = now, now.Add(maxAge), now.Add(maxAge)
	e.Provisional = true
	return e
}

// renderInBackground makes r's variant in a fill on the background lane,
// which nobody waits for. A fill of r's key already running does it
// instead (the render is deduplicated with it); when the lane is full the
// render is dropped, never queued: a later request for r starts it again.
func (s *Server) renderInBackground(r *request, orig *source) {
	key := string(r.key)
	c, started := s.fills.join(s.ctx, key, s.cfg.FillTimeout, s.takeRenderSlot,
		func(ctx context.Context, c *fillCall) (Entry, error) {
			return s.makeEntry(transform.WithClient(ctx, backgroundClient), c, r, nil, orig)
		})
	switch {
	case c == nil:
		s.metrics.renders.WithLabelValues("dropped").Inc()
		return
	case !started:
		s.fills.leave(key, c)
		return
	}
	s.metrics.renders.WithLabelValues("started").Inc()
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		<-c.done
		s.fills.leave(key, c)
		<-s.renders
		if c.err != nil {
			s.metrics.renders.WithLabelValues("failed").Inc()
			s.log.Debug("background render failed", "tenant", r.tenant, "id", r.publicID, "err", c.err)
			return
		}
		s.metrics.renders.WithLabelValues("done").Inc()
	}()
}

// takeRenderSlot takes a place on the background lane if one is free.
func (s *Server) takeRenderSlot() bool {
	select {
	case s.renders <- struct{}{}:
		return true
	default:
		return false
	}
}
