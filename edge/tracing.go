package edge

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"pixcdn/edge/peer"
	"pixcdn/transform"
)

// Tracing (Config.TracerProvider) records a server span per public and
// peer request and, under it, the work the request causes: the forward to
// the owner, the fill, cache reads on the miss path (span events), the
// original from its owner or the origin, and the transform with an event
// per pipeline step. With tracing off (s.tracer nil) the hit path checks
// one nil pointer and nothing else; the miss path's helpers below return
// at once.

// tracerName is the instrumentation scope of the edge's spans.
const tracerName = "pixcdn/edge"

// requestSpanKey keeps a request's server span in its RequestCtx user
// values, for the spans of the work the request causes (requestContext).
type requestSpanKey struct{}

// Span names of the public route and the peer routes.
const (
	spanPublic       = "GET /{tenant}/{public_id}"
	spanPeerVariant  = "GET " + peer.PathVariant + "/{tenant}/{public_id}"
	spanPeerOriginal = "GET " + peer.PathOriginal + "/{tenant}/{public_id}"
)

// newTracing sets s's tracer and propagator from cfg (nil tracer: off).
func (s *Server) newTracing(cfg Config) {
	if cfg.TracerProvider == nil {
		return
	}
	s.tracer = cfg.TracerProvider.Tracer(tracerName)
	s.propagator = cfg.Propagator
	if s.propagator == nil {
		s.propagator = propagation.TraceContext{}
	}
}

// startServerSpan starts the server span of a request that began at
// start, as a child of the trace context its headers carry, and keeps it
// in ctx (requestContext). Only with tracing on.
func (s *Server) startServerSpan(ctx *fasthttp.RequestCtx, name string, start time.Time) trace.Span {
	parent := s.propagator.Extract(context.Background(), peer.RequestCarrier{Header: &ctx.Request.Header})
	_, span := s.tracer.Start(parent, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start))
	if span.IsRecording() {
		span.SetAttributes(attribute.String("http.request.method", string(ctx.Method())))
	}
	ctx.SetUserValue(requestSpanKey{}, span)
	return span
}

// endServerSpan records the request's answer on its span and ends it: the
// status, the cache result, and for a parsed request (r not nil) its
// tenant and a hash of its variant key (never the URL, whose query may
// hold a signature).
func endServerSpan(span trace.Span, ctx *fasthttp.RequestCtx, r *request, res cacheResult) {
	if !span.IsRecording() {
		span.End()
		return
	}
	code := ctx.Response.StatusCode()
	span.SetAttributes(attribute.Int("http.response.status_code", code))
	if res != resNone {
		span.SetAttributes(attribute.String("pixcdn.cache", resultHeaders[res]))
	}
	if r != nil {
		span.SetAttributes(attribute.String("pixcdn.tenant", r.tenant), attribute.String("pixcdn.key_hash", keyHash(r.key)))
	}
	if code >= 500 {
		span.SetStatus(codes.Error, http.StatusText(code))
	}
	span.End()
}

// keyHash is a cache key's hash as span attributes show it.
func keyHash(key []byte) string { return strconv.FormatUint(xxhash.Sum64(key), 16) }

// requestContext returns parent carrying the server span of the request
// in ctx, so spans started under it join the request's trace; parent
// itself with tracing off or no span.
func (s *Server) requestContext(ctx *fasthttp.RequestCtx, parent context.Context) context.Context {
	if s.tracer == nil {
		return parent
	}
	if span, ok := ctx.UserValue(requestSpanKey{}).(trace.Span); ok {
		return trace.ContextWithSpan(parent, span)
	}
	return parent
}

// detachedContext returns parent (a context that outlives the caller)
// carrying ctx's span, for work a request starts but does not own.
func (s *Server) detachedContext(ctx, parent context.Context) context.Context {
	if s.tracer == nil {
		return parent
	}
	return trace.ContextWithSpan(parent, trace.SpanFromContext(ctx))
}

// noSpan is the span of work not traced.
var noSpan trace.Span = noop.Span{}

// startSpan starts a span under ctx's span; with tracing off it returns
// ctx and a no-op span, so callers end and annotate spans unconditionally.
func (s *Server) startSpan(ctx context.Context, name string, kind trace.SpanKind, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	if s.tracer == nil {
		return ctx, noSpan
	}
	return s.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
}

// endSpan marks span failed with err, if any, and ends it.
func endSpan(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// Cache key kinds of cache-read events.
const (
	keyVariant  = "variant"
	keyOriginal = "original"
	keyMaster   = "master"
)

// cacheGet reads key on the miss path. When ctx's span records, it adds a
// "cache read" event naming the key's kind and the tier that answered
// (memory, disk; "hit" from a Cache that does not say; "miss").
func (s *Server) cacheGet(ctx context.Context, key []byte, kind string) (Entry, bool) {
	if s.tracer == nil {
		return s.deps.Cache.Get(key)
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return s.deps.Cache.Get(key)
	}
	var e Entry
	var ok bool
	tier := "hit"
	if tc, tiered := s.deps.Cache.(TieredCache); tiered {
		e, tier, ok = tc.GetTier(key)
	} else {
		e, ok = s.deps.Cache.Get(key)
	}
	if !ok {
		tier = "miss"
	}
	span.AddEvent("cache read", trace.WithAttributes(
		attribute.String("pixcdn.cache.key", kind), attribute.String("pixcdn.cache.tier", tier)))
	return e, ok
}

// startTransformSpan starts the span of r's transform from src; the
// codec's steps become its events (transform.WithStepObserver).
func (s *Server) startTransformSpan(ctx context.Context, r *request, src []byte) (context.Context, trace.Span) {
	ctx, span := s.tracer.Start(ctx, "transform", trace.WithAttributes(
		attribute.String("pixcdn.options", r.variant.Canonical), attribute.String("pixcdn.format", r.format),
		attribute.Int("pixcdn.source_bytes", len(src))))
	if !span.IsRecording() {
		return ctx, span
	}
	return transform.WithStepObserver(ctx, func(step string, took time.Duration) {
		span.AddEvent(step, trace.WithAttributes(attribute.Float64("pixcdn.step_ms", float64(took)/float64(time.Millisecond))))
	}), span
}

// endTransformSpan records the transform's output or error and ends span.
func endTransformSpan(span trace.Span, out Rendered, err error) {
	if err == nil {
		span.SetAttributes(attribute.String("pixcdn.output_format", out.Format), attribute.Int("pixcdn.output_bytes", len(out.Body)))
	}
	endSpan(span, err)
}
