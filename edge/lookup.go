package edge

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"

	"pixcdn/edge/connlimit"
	"pixcdn/edge/peer"
	"pixcdn/transform"
)

// lookup finds or makes the entry for r on this node: r's L0 entry, cache
// hit, stale serving with revalidation, or a fill. The entry is r's
// immutable L0 entry or buf, which it fills; header is the L0 entry's
// prebuilt response header (see respond), nil otherwise. ctx and hop say
// who asks (see clientOf); a miss holds one of that client's miss units.
func (s *Server) lookup(ctx *fasthttp.RequestCtx, hop bool, r *request, now time.Time, buf *Entry) (e *Entry, header *fasthttp.ResponseHeader, res cacheResult, err error) {
	gen := s.gen.Load()
	if l := r.freshL0(gen, now); l != nil {
		return &l.entry, l.header, resHit, nil
	}
	e = buf
	var ok bool
	if *e, ok = s.deps.Cache.Get(r.key); ok {
		switch e.state(now) {
		case fresh:
			s.keepL0(r, e, gen, now)
			return e, nil, resHit, nil
		case staleServable:
			s.revalidateInBackground(r, *e)
			return e, nil, resStale, nil
		case staleOnError:
			*e, res, err = s.revalidateNow(r, *e)
			return e, nil, res, err
		}
	}
	if err, ok := s.neg.Get(r.origKey, now); ok {
		return e, nil, resMiss, err
	}
	*e, err = s.fillMiss(s.requestContext(ctx, s.ctx), r, s.clientOf(ctx, hop), now)
	return e, nil, resMiss, err
}

// fillMiss fills r for a client's request, after checking r's visibility
// (an unsigned request for a signed image never joins or starts a fill).
// Joining a fill already running costs no more work and is always
// admitted; starting one takes one of the client's miss units
// (ErrTooManyMisses when it has none left) for as long as it waits, and
// the fill's transform is queued as that client's (transform.WithClient).
// The fill runs under parent (the server's context, carrying the request's
// span when traced), not under the request.
//
// A negotiated variant that is slow to make is answered with a cheaper
// one while it is made in the background (budget.go).
func (s *Server) fillMiss(parent context.Context, r *request, client netip.Addr, now time.Time) (Entry, error) {
	orig, err := s.visibleOriginal(parent, r, now)
	if err != nil {
		return Entry{}, err
	}
	if fb := s.fallbackOf(r); fb != nil {
		return s.fillFallback(parent, r, fb, client, orig, now)
	}
	return s.fillFor(parent, r, client, orig)
}

// fillFor joins or starts r's fill for client (see fillMiss), with orig
// when the caller read the original already.
func (s *Server) fillFor(parent context.Context, r *request, client netip.Addr, orig *source) (Entry, error) {
	key := string(r.key)
	c, started := s.fills.join(parent, key, s.cfg.FillTimeout, func() bool { return s.misses.Acquire(client) },
		func(ctx context.Context, c *fillCall) (Entry, error) {
			return s.makeEntry(transform.WithClient(ctx, client.String()), c, r, nil, orig)
		})
	if c == nil {
		return Entry{}, ErrTooManyMisses
	}
	if started {
		defer s.misses.Release(client)
	}
	return s.await(key, c)
}

// visibleOriginal returns ErrForbidden when r is unsigned and its image is
// signed, so such a request never costs a transform; it decides from what
// this node knows (its memo of signed images, its cached original) or else
// from the original itself, fetched once (the fill needs it anyway: it may
// be the master a peer sent for r) and remembered. It returns the source
// it read, ready to make the variant from, for the fill to reuse; nil when
// r is signed or asks for the original. A fetch runs under parent.
func (s *Server) visibleOriginal(parent context.Context, r *request, now time.Time) (*source, error) {
	if r.signed || r.variant.Original {
		return nil, nil
	}
	if s.signedImages.Has(r.origKey, now) {
		return nil, ErrForbidden
	}
	read := s.readOriginal(parent, r.origKey)
	if read.found && read.entry.Image.Signed {
		return nil, s.signedImage(r, now)
	}
	ctx, cancel := context.WithTimeout(parent, s.cfg.RequestTimeout)
	defer cancel()
	src, err := s.originalFor(ctx, r.tenant, r.publicID, false, s.masterVariant(r), &read)
	if err != nil {
		return nil, err
	}
	if src.Image.Signed {
		return nil, s.signedImage(r, now)
	}
	return &src, nil
}

// signedImage remembers that r's image is signed and returns ErrForbidden.
func (s *Server) signedImage(r *request, now time.Time) error {
	s.signedImages.Add(r.origKey, now.Add(s.cfg.NegativeTTL), ErrForbidden)
	return ErrForbidden
}

// clientOf is the address that stands for the client of a request: its
// peer address, or for a request a peer forwarded (hop), the client address
// that peer vouches for. The zero Addr when unknown (then not counted).
func (s *Server) clientOf(ctx *fasthttp.RequestCtx, hop bool) netip.Addr {
	if hop {
		a, _ := netip.ParseAddr(string(ctx.Request.Header.Peek(peer.HeaderClient)))
		return a
	}
	a, _ := connlimit.ClientOf(ctx.RemoteIP())
	return a
}

// revalidateNow refreshes an entry past stale-while-revalidate; if the
// origin fails it serves the stale entry (stale-if-error).
func (s *Server) revalidateNow(r *request, prev Entry) (Entry, cacheResult, error) {
	e, err := s.fill(r, &prev)
	if err != nil && isOriginFailure(err) {
		s.metrics.staleIfError.Inc()
		return prev, resStale, nil
	}
	return e, resRevalidated, err
}

// revalidateInBackground refreshes prev once (deduplicated per key by the
// flight group) unless too many revalidations already run.
func (s *Server) revalidateInBackground(r *request, prev Entry) {
	select {
	case s.revals <- struct{}{}:
	default:
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer func() { <-s.revals }()
		if _, err := s.fill(r, &prev); err != nil && !isOriginFailure(err) {
			s.log.Warn("background revalidation failed", "tenant", r.tenant, "id", r.publicID, "err", err)
		}
	}()
}

// isOriginFailure reports errors for which a stale entry may be served.
func isOriginFailure(err error) bool {
	return errors.Is(err, ErrOrigin) || errors.Is(err, ErrOriginTimeout) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrOverloaded)
}

// fill makes the entry for r once per key on this node (fillGroup),
// revalidating prev. The fill runs detached from the caller with
// FillTimeout, so one impatient client cannot fail the others waiting on
// it, and is cancelled when every waiter has gone; the caller waits at
// most RequestTimeout. A wait that ends while the variant is being made
// is ErrOverloaded (this node's CPU held it), otherwise ErrOriginTimeout.
func (s *Server) fill(r *request, prev *Entry) (Entry, error) {
	key := string(r.key)
	c, _ := s.fills.join(s.ctx, key, s.cfg.FillTimeout, nil, func(ctx context.Context, c *fillCall) (Entry, error) {
		return s.makeEntry(ctx, c, r, prev, nil)
	})
	return s.await(key, c)
}

// makeEntry runs inside r's fill c: the original, or the variant.
func (s *Server) makeEntry(ctx context.Context, c *fillCall, r *request, prev *Entry, orig *source) (e Entry, err error) {
	ctx, span := s.startSpan(ctx, "fill", trace.SpanKindInternal)
	defer func() { endSpan(span, err) }()
	if r.variant.Original {
		return s.original(ctx, r.tenant, r.publicID, prev, 0)
	}
	return s.fillVariant(ctx, c, r, prev, orig)
}

// await waits for c as one of its waiters, at most RequestTimeout.
func (s *Server) await(key string, c *fillCall) (Entry, error) {
	defer s.fills.leave(key, c)
	timer := time.NewTimer(s.cfg.RequestTimeout)
	defer timer.Stop()
	select {
	case <-c.done:
		return c.entry, c.err
	case <-timer.C:
		if c.transforming.Load() {
			return Entry{}, fmt.Errorf("%w: the variant took too long to make", ErrOverloaded)
		}
		return Entry{}, ErrOriginTimeout
	}
}

// fillVariant runs inside the variant's fill c. orig is the source
// visibleOriginal returned, if any: the fill makes the variant from it
// without reading the original again.
func (s *Server) fillVariant(ctx context.Context, c *fillCall, r *request, prev *Entry, orig *source) (Entry, error) {
	// Re-check the cache inside the fill: another fill for this key may
	// have finished between our miss and the start of this one; without the
	// re-check the variant would be fetched and transformed twice.
	if e, ok := s.cacheGet(ctx, r.key, keyVariant); ok && e.state(s.clock()) == fresh {
		return e, nil
	}
	guard := s.deps.Cache.Guard(ImageRef{Tenant: r.tenant, PublicID: r.publicID})
	if orig == nil || prev != nil {
		o, err := s.originalFor(ctx, r.tenant, r.publicID, prev != nil, s.masterVariant(r), nil)
		if err != nil {
			return Entry{}, err
		}
		orig = &o
	}
	if prev != nil && prev.OriginETag == orig.ETag {
		e := *prev
		e.Policy = orig.Policy
		e.inheritTimes(&orig.Entry)
		s.deps.Cache.Set(r.key, e, guard)
		return e, nil
	}
	src := *orig
	if v := s.masterVariant(r); v != nil && src.own && s.ownsOriginal(r) {
		src = s.masterFor(ctx, src.Entry, v, guard)
	}
	c.transforming.Store(true)
	out, err := s.transform(ctx, r, &src)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{
		Body: out.Body, ContentType: out.ContentType, ETag: variantETag(&orig.Entry, r.variant.Canonical, r.format),
		LastModified: orig.LastModified, Image: orig.Image, Policy: orig.Policy, OriginETag: orig.ETag,
	}
	e.inheritTimes(&orig.Entry)
	s.deps.Cache.Set(r.key, e, guard)
	return e, nil
}

// ownsOriginal reports whether this node is the ring owner of r's
// original (it then makes and keeps the original's master).
func (s *Server) ownsOriginal(r *request) bool {
	_, self := s.deps.Ring.Owner(r.origKey)
	return self
}

// transform makes r's variant from src (its master or the original),
// under a span with an event per pipeline step when traced.
func (s *Server) transform(ctx context.Context, r *request, src *source) (out Rendered, err error) {
	start := time.Now()
	if s.tracer != nil {
		var span trace.Span
		ctx, span = s.startTransformSpan(ctx, r, src.Body)
		defer func() { endTransformSpan(span, out, err) }()
	}
	probe, err := src.probed()
	switch {
	case err != nil:
	case src.fromMaster():
		out, err = s.masters.TransformMaster(ctx, probe, src.orig, r.variant, r.format)
	default:
		out, err = s.render(ctx, r, probe)
	}
	if err != nil {
		return Rendered{}, err
	}
	s.metrics.transforms.WithLabelValues(out.Format).Inc()
	s.metrics.transformDur.WithLabelValues(out.Format).Observe(time.Since(start).Seconds())
	s.metrics.transformSources.WithLabelValues(src.label()).Inc()
	return out, nil
}

// variantETag is strong and per variant: origin version and ETag, canonical
// options and format.
func variantETag(orig *Entry, canonical, format string) string {
	h := xxhash.New()
	h.WriteString(orig.ETag)
	h.WriteString("|")
	h.WriteString(canonical)
	h.WriteString("|")
	h.WriteString(format)
	return `"` + strconv.FormatInt(orig.Image.Version, 10) + "-" + strconv.FormatUint(h.Sum64(), 36) + `"`
}
