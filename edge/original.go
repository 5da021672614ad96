package edge

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/singleflight"

	"pixcdn/edge/imgurl"
	"pixcdn/edge/peer"
	"pixcdn/transform"
)

// originalFor returns the original for making a variant: from this node's
// cache, from the original's ring owner (which fetches it from the origin
// once for the whole cluster), or, if the owner fails, from the origin
// directly. With revalidate (the variant is being revalidated) only a fresh
// original will do, and origin failures are returned, not papered over with
// a stale original. With v set (masters on), the owner may send the
// original's working master instead when v fits within it. read is what
// the caller found in this node's cache (readOriginal), or nil: then it is
// read here; either way the cache entry is read once.
func (s *Server) originalFor(ctx context.Context, tenant, publicID string, revalidate bool, v *Variant, read *cachedOriginal) (source, error) {
	key := imgurl.OriginalKey(tenant, publicID)
	if read == nil {
		r := s.readOriginal(ctx, key)
		read = &r
	}
	if read.usable(s.clock(), revalidate) {
		return source{Entry: read.entry, own: true}, nil
	}
	if owner, self := s.deps.Ring.Owner(key); !self && s.deps.Peers != nil {
		o, err := s.originalFromOwner(ctx, owner, tenant, publicID, revalidate, s.masterQuery(v))
		current := s.feed.peerCurrent(tenant, o.FeedPosition, o.FeedPositionKnown)
		switch {
		case !current:
			err = errPeerBehind
		case err == nil:
			s.metrics.forwards.WithLabelValues("ok").Inc()
			return s.sourceFromPeer(tenant, publicID, key, o)
		case errors.Is(err, peer.ErrNotFound):
			s.neg.Add(key, s.clock().Add(s.cfg.NegativeTTL), ErrNotFound)
			return source{}, ErrNotFound
		}
		s.metrics.forwards.WithLabelValues("fallback").Inc()
		s.log.Debug("original owner failed, fetching from origin", "owner", owner.Name, "err", err)
	}
	e, err := s.ownOriginal(ctx, tenant, publicID, revalidate, read)
	return source{Entry: e, own: true}, err
}

// masterQuery is the variant named to the original's owner, for which it
// may send the master: v's canonical options (see masterVariant).
func (s *Server) masterQuery(v *Variant) string {
	if v == nil {
		return ""
	}
	return v.Canonical
}

// sourceFromPeer builds the source a peer sent: the original, or its
// master with both sizes.
func (s *Server) sourceFromPeer(tenant, publicID string, key []byte, o peer.Original) (source, error) {
	e, err := s.entryFromOriginal(tenant, publicID, toEdgeOriginal(o))
	if err != nil {
		s.neg.Add(key, s.clock().Add(s.cfg.NegativeTTL), err)
		return source{}, err
	}
	src := source{Entry: e}
	if o.MasterSize != "" {
		orig, ok1 := parseSize(o.Size)
		master, ok2 := parseSize(o.MasterSize)
		if !ok1 || !ok2 {
			return source{}, fmt.Errorf("%w: bad master sizes %q, %q", ErrOrigin, o.Size, o.MasterSize)
		}
		src.orig, src.master = orig, master
	}
	return src, nil
}

// originalFromOwner fetches the original (or its master for variant) from
// its owner, under a client span when traced.
func (s *Server) originalFromOwner(ctx context.Context, owner Peer, tenant, publicID string, revalidate bool, variant string) (peer.Original, error) {
	ctx, span := s.startSpan(ctx, "original from owner", trace.SpanKindClient)
	if span.IsRecording() {
		span.SetAttributes(attribute.String("pixcdn.peer", owner.Name), attribute.Bool("pixcdn.revalidate", revalidate))
	}
	o, err := s.deps.Peers.FetchOriginal(ctx, owner.InternalAddr, tenant, publicID, revalidate, variant)
	if err == nil && span.IsRecording() {
		span.SetAttributes(attribute.Bool("pixcdn.master", o.MasterSize != ""))
	}
	failure := err
	if errors.Is(err, peer.ErrNotFound) && span.IsRecording() {
		span.SetAttributes(attribute.Bool("pixcdn.not_found", true))
		failure = nil
	}
	endSpan(span, failure)
	return o, err
}

// ownOriginal returns the original as this node holds it, revalidating or
// fetching it from the origin when needed. Unless revalidate is set, a
// stale entry is served while the origin fails, up to stale-if-error.
// read is what the caller found in this node's cache, or nil (then it is
// read here).
func (s *Server) ownOriginal(ctx context.Context, tenant, publicID string, revalidate bool, read *cachedOriginal) (Entry, error) {
	key := imgurl.OriginalKey(tenant, publicID)
	if read == nil {
		r := s.readOriginal(ctx, key)
		read = &r
	}
	if !read.found {
		return s.original(ctx, tenant, publicID, nil, read.mark)
	}
	if read.usable(s.clock(), revalidate) {
		return read.entry, nil
	}
	prev := read.entry
	st := prev.state(s.clock())
	e, err := s.original(ctx, tenant, publicID, &prev, read.mark)
	if err != nil && !revalidate && isOriginFailure(err) && st <= staleOnError {
		s.metrics.staleIfError.Inc()
		return prev, nil
	}
	return e, err
}

// original fetches the original from the origin once per key on this node
// (conditionally when prev is given) and caches it. mark is the caller's
// storeMarks mark taken before it read the cache and found no usable
// original, or 0 when it did not read.
func (s *Server) original(ctx context.Context, tenant, publicID string, prev *Entry, mark uint64) (Entry, error) {
	key := imgurl.OriginalKey(tenant, publicID)
	ch := s.flights.DoChan("o"+string(key), func() (any, error) {
		// Re-check inside the flight: a fetch that finished after the
		// caller read the cache may have stored the original; fetching
		// again would double origin load. Only when one may have (the
		// stripe's mark moved) is the cache read again.
		if s.stored.changed(key, mark) {
			if e, ok := s.deps.Cache.Get(key); ok && e.state(s.clock()) == fresh {
				return e, nil
			}
		}
		fctx, cancel := context.WithTimeout(s.detachedContext(ctx, s.ctx), s.cfg.FillTimeout)
		defer cancel()
		return s.fetchOriginal(fctx, key, tenant, publicID, prev)
	})
	return awaitEntry(ctx, ch, ErrOriginTimeout)
}

// awaitEntry waits for the Entry of a flight (s.flights) or for ctx to
// end, then returns ctx's error wrapped with timeout.
func awaitEntry(ctx context.Context, ch <-chan singleflight.Result, timeout error) (Entry, error) {
	select {
	case res := <-ch:
		if res.Err != nil {
			return Entry{}, res.Err
		}
		return res.Val.(Entry), nil
	case <-ctx.Done():
		return Entry{}, fmt.Errorf("%w: %w", timeout, ctx.Err())
	}
}

// fetchOriginal fetches the original from the origin (conditionally when
// prev is given), under a span when traced, and caches it.
func (s *Server) fetchOriginal(ctx context.Context, key []byte, tenant, publicID string, prev *Entry) (Entry, error) {
	guard := s.deps.Cache.Guard(ImageRef{Tenant: tenant, PublicID: publicID})
	inm := ""
	if prev != nil {
		inm = prev.ETag
	}
	ctx, span := s.startSpan(ctx, "original from origin", trace.SpanKindInternal)
	o, err := s.deps.Origin.Fetch(ctx, tenant, publicID, inm)
	result := fetchResult(o, err)
	if span.IsRecording() {
		span.SetAttributes(attribute.String("pixcdn.tenant", tenant), attribute.String("pixcdn.origin.result", result))
	}
	if errors.Is(err, ErrNotFound) {
		endSpan(span, nil)
	} else {
		endSpan(span, err)
	}
	s.metrics.originFetch.WithLabelValues(result).Inc()
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			s.neg.Add(key, s.clock().Add(s.cfg.NegativeTTL), ErrNotFound)
		}
		return Entry{}, err
	}
	var e Entry
	if o.NotModified && prev != nil {
		e = *prev
		e.Policy = ParsePolicy(o.CacheControl, s.cfg.DefaultPolicy)
		e.stamp(s.clock())
	} else if e, err = s.entryFromOriginal(tenant, publicID, o); err != nil {
		s.neg.Add(key, s.clock().Add(s.cfg.NegativeTTL), err)
		return Entry{}, err
	}
	s.deps.Cache.Set(key, e.unstored(), guard)
	s.stored.bump(key)
	return e, nil
}

func fetchResult(o Original, err error) string {
	switch {
	case err == nil && o.NotModified:
		return "not_modified"
	case err == nil:
		return "ok"
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrOriginTimeout), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrSourceTooLarge):
		return "too_large"
	}
	return "error"
}

// entryFromOriginal builds the cache entry of an original. Its
// Content-Type is that of the raster format sniffed from the bytes
// (originalSource), never the one the origin or peer declared; the probe
// is kept with the entry for the fill (Entry.probed).
func (s *Server) entryFromOriginal(tenant, publicID string, o Original) (Entry, error) {
	probe, err := originalSource(o.Body)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{
		Body: o.Body, ContentType: probe.Meta().Format.ContentType(), probe: &probe, ETag: o.ETag, LastModified: o.LastModified,
		Image: ImageRef{
			Tenant: tenant, PublicID: publicID, Version: o.Version, Tags: o.Tags,
			Signed: strings.EqualFold(o.Visibility, "signed"),
		},
		Policy: ParsePolicy(o.CacheControl, s.cfg.DefaultPolicy), OriginETag: o.ETag,
	}
	e.stamp(s.clock())
	return e, nil
}

// originalSource probes an original's body: its Content-Type is that of
// the raster format transform.Probe reads, and anything else is refused,
// so an original reaches a browser only as an image the transform package
// can decode: SVG, HTML, XML and unknown bytes wrap ErrUnsupported (415),
// a broken image header ErrUndecodable (422).
func originalSource(body []byte) (transform.Source, error) {
	src, err := newSource(body)
	if err != nil {
		return transform.Source{}, mapTransformError(err)
	}
	return src, nil
}

// errPeerBehind: a peer answered from before an origin event this node
// has applied (see feedPositions).
var errPeerBehind = errors.New("peer has not applied an origin event this node has")

// toEdgeOriginal converts a peer's original (or master).
func toEdgeOriginal(o peer.Original) Original {
	return Original{
		Body: o.Body, ETag: o.ETag, ContentType: o.ContentType, CacheControl: o.CacheControl,
		Visibility: o.Visibility, LastModified: o.LastModified, Version: o.Version, Tags: o.Tags,
		NotModified: o.NotModified,
	}
}
