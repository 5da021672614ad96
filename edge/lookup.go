package edge

import (
	"context"
	"errors"
	"time"

	"strconv"

	"github.com/cespare/xxhash/v2"
	"github.com/valyala/fasthttp"
)

// lookup finds or makes the entry for r on this node: r's L0 entry, cache
// hit, stale serving with revalidation, or a fill. The entry is r's
// immutable L0 entry or buf, which it fills; header is the L0 entry's
// prebuilt response header (see respond), nil otherwise.
func (s *Server) lookup(r *request, now time.Time, buf *Entry) (e *Entry, header *fasthttp.ResponseHeader, res cacheResult, err error) {
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
	if s.neg.has(r.origKey, now) {
		return e, nil, resMiss, ErrNotFound
	}
	*e, err = s.fill(r, nil)
	return e, nil, resMiss, err
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

// fill makes the entry for r once per key on this node (singleflight),
// revalidating prev if given. The fill runs detached from the caller with
// FillTimeout, so one impatient client cannot fail the others waiting on
// it; the caller waits at most RequestTimeout.
func (s *Server) fill(r *request, prev *Entry) (Entry, error) {
	flightKey := "v" + string(r.key)
	ch := s.flights.DoChan(flightKey, func() (any, error) {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.FillTimeout)
		defer cancel()
		if r.variant.Original {
			return s.original(ctx, r.tenant, r.publicID, prev)
		}
		return s.fillVariant(ctx, r, prev)
	})
	timer := time.NewTimer(s.cfg.RequestTimeout)
	defer timer.Stop()
	select {
	case res := <-ch:
		if res.Err != nil {
			return Entry{}, res.Err
		}
		return res.Val.(Entry), nil
	case <-timer.C:
		return Entry{}, ErrOriginTimeout
	}
}

// fillVariant runs inside the variant's flight.
func (s *Server) fillVariant(ctx context.Context, r *request, prev *Entry) (Entry, error) {
	// Re-check the cache inside the flight: another flight for this key may
	// have finished between our miss and the start of this one; without the
	// re-check the variant would be fetched and transformed twice.
	if e, ok := s.deps.Cache.Get(r.key); ok && e.state(s.clock()) == fresh {
		return e, nil
	}
	guard := s.deps.Cache.Guard(ImageRef{Tenant: r.tenant, PublicID: r.publicID})
	orig, err := s.originalFor(ctx, r.tenant, r.publicID, prev != nil)
	if err != nil {
		return Entry{}, err
	}
	if prev != nil && prev.OriginETag == orig.ETag {
		e := *prev
		e.Policy = orig.Policy
		e.inheritTimes(&orig)
		s.deps.Cache.Set(r.key, e, guard)
		return e, nil
	}
	out, err := s.transform(ctx, r, orig.Body)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{
		Body: out.Body, ContentType: out.ContentType, ETag: variantETag(&orig, r.variant.Canonical, r.format),
		LastModified: orig.LastModified, Image: orig.Image, Policy: orig.Policy, OriginETag: orig.ETag,
	}
	e.inheritTimes(&orig)
	s.deps.Cache.Set(r.key, e, guard)
	return e, nil
}

func (s *Server) transform(ctx context.Context, r *request, src []byte) (Rendered, error) {
	start := time.Now()
	out, err := s.deps.Codec.Transform(ctx, src, r.variant, r.format)
	if err != nil {
		return Rendered{}, err
	}
	s.metrics.transforms.WithLabelValues(out.Format).Inc()
	s.metrics.transformDur.WithLabelValues(out.Format).Observe(time.Since(start).Seconds())
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
