package edge

import (
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"

	"pixcdn/edge/peer"
)

// serverName is the public port's Server header.
const serverName = "pixcdn"

// publicServer builds the fasthttp server of the public port with the
// protection limits of the config (ServePublic adds the per-address cap,
// serve the timeouts).
func (s *Server) publicServer() *fasthttp.Server {
	l := s.cfg.Limits
	return &fasthttp.Server{
		Handler:                       s.servePublic,
		Name:                          serverName,
		ReadBufferSize:                l.MaxHeaderBytes,
		WriteBufferSize:               l.WriteBufferBytes,
		MaxRequestBodySize:            1 << 10,
		Concurrency:                   l.MaxConns,
		DisablePreParseMultipartForm:  true,
		DisableHeaderNamesNormalizing: false,
		NoDefaultContentType:          true,
		ErrorHandler:                  s.protocolError,
		Logger:                        fasthttpLogger{s.log},
	}
}

// protocolError answers requests fasthttp could not read.
func (s *Server) protocolError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.As(err, &small):
		writeText(ctx, fasthttp.StatusRequestHeaderFieldsTooLarge, "request header too large")
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		writeText(ctx, fasthttp.StatusRequestEntityTooLarge, "request body too large")
	default:
		writeText(ctx, fasthttp.StatusBadRequest, "bad request")
	}
}

// servePublic is the public handler: GET|HEAD /{tenant}/{public_id}?options.
// With tracing on, the request gets a server span (tracing.go); with it
// off, the two nil checks are the hit path's only tracing work.
func (s *Server) servePublic(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	var span trace.Span
	if s.tracer != nil {
		span = s.startServerSpan(ctx, spanPublic, start)
	}
	r, res, templated := s.handle(ctx, false, start)
	took := time.Since(start)
	if res != resNone && !templated {
		var buf [64]byte
		ctx.Response.Header.SetCanonical(hdrServerTiming, serverTiming(buf[:0], res, took))
	}
	s.metrics.observe(res, ctx.Response.StatusCode(), took)
	if span != nil {
		endServerSpan(span, ctx, r, res)
	}
}

// handle serves one public request; hop is true when a peer forwarded it
// (then it is never forwarded again). It returns the parsed request (nil
// when the request was refused before), the cache result, and whether the
// response header came whole from an L0 template (which carries its own
// Server-Timing).
func (s *Server) handle(ctx *fasthttp.RequestCtx, hop bool, start time.Time) (r *request, res cacheResult, templated bool) {
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set(fasthttp.HeaderAllow, "GET, HEAD")
		writeText(ctx, fasthttp.StatusMethodNotAllowed, "method not allowed")
		return nil, resNone, false
	}
	if len(ctx.Request.Header.RequestURI()) > s.cfg.Limits.MaxURLBytes {
		writeText(ctx, fasthttp.StatusRequestURITooLong, "URL too long")
		return nil, resNone, false
	}
	r, err := s.parse(ctx)
	if err != nil {
		s.writeError(ctx, err)
		return nil, resNone, false
	}
	now := s.clockAt(start)
	if !hop && s.deps.Peers != nil {
		if owner, self := s.deps.Ring.Owner(r.key); !self {
			if e, ok := s.hot.Get(r.key, now); ok {
				s.respond(ctx, r, &e, nil, resHit, now)
				return r, resHit, false
			}
			if s.forward(ctx, r, owner) {
				return r, resPeer, false
			}
		}
	}
	var buf Entry
	e, header, res, err := s.lookup(ctx, hop, r, now, &buf)
	if err == nil && e.Image.Signed && !r.signed {
		err = ErrForbidden
	}
	if err != nil {
		s.writeError(ctx, err)
		return r, res, false
	}
	s.respond(ctx, r, e, header, res, now)
	if hop {
		describeImage(&ctx.Response.Header, &e.Image)
		if e.Provisional {
			ctx.Response.Header.Set(peer.HeaderProvisional, "1")
		}
	}
	return r, res, header != nil
}

// describeImage tells a forwarding peer what it needs to keep a hot copy
// and purge it: visibility and tags (never relayed to clients).
func describeImage(h *fasthttp.ResponseHeader, img *ImageRef) {
	if img.Signed {
		h.Set(peer.HeaderVisibility, "signed")
	} else {
		h.Set(peer.HeaderVisibility, "public")
	}
	if len(img.Tags) > 0 {
		h.Set(peer.HeaderTags, strings.Join(img.Tags, ","))
	}
}

// request is a parsed public request.
type request struct {
	tenant, publicID string
	signed           bool
	variant          Variant
	format           string // output format name; "" for originals
	vary             bool   // the format was negotiated from Accept
	info             bool   // the image's info (JSON) is asked for (info.go)
	// hinted reports that the URL asked for client hints (dpr=auto,
	// w=auto): the request depends on hints too, and its answers carry
	// Accept-CH.
	hinted bool
	hints  clientHints // the rounded hints read, when hinted
	// varyHeader is the Vary of its answers (Accept, the hint headers);
	// nil for none.
	varyHeader []byte
	key        []byte // variant key (the original key for originals)
	origKey    []byte
	// l0 is the last fresh cache entry served for this (memoised) request,
	// valid while fresh and while no purge happened since (gen).
	l0       atomic.Pointer[l0Entry]
	memoised bool
}

type l0Entry struct {
	entry Entry
	gen   uint64
	// header holds the entry's whole response header as served from L0
	// at an Age (entryHeaders, X-Cache: HIT, Age, Content-Type and a
	// Server-Timing without a duration), copied into each response at once.
	header *fasthttp.ResponseHeader
	// until is when header goes out of date: the entry stops being fresh
	// or its Age reaches the next second.
	until time.Time
}

// keepL0 remembers e, fresh at purge generation gen, in r's L0 slot with
// its response header as at now, if the memo admits it.
func (s *Server) keepL0(r *request, e *Entry, gen uint64, now time.Time) {
	if !s.admitL0(r, len(e.Body)) {
		return
	}
	age := entryAge(e, now)
	l := &l0Entry{entry: *e, gen: gen, header: &fasthttp.ResponseHeader{}}
	l.until = e.Created.Add(time.Duration(age+1) * time.Second)
	if e.FreshUntil.Before(l.until) {
		l.until = e.FreshUntil
	}
	// What fasthttp would set before the handler, which CopyTo replaces.
	l.header.SetServer(serverName)
	l.header.SetNoDefaultContentType(true)
	s.entryHeaders(l.header, r, e)
	l.header.SetCanonical(hdrXCache, s2b(resultHeaders[resHit]))
	setAge(l.header, age)
	l.header.SetContentType(e.ContentType)
	l.header.SetCanonical(hdrServerTiming, valServerTimingL0)
	r.l0.Store(l)
}

// freshL0 returns r's L0 entry if its header is still right at now (the
// entry fresh, its Age current) and no purge happened since it was kept
// (gen is the current purge generation).
func (r *request) freshL0(gen uint64, now time.Time) *l0Entry {
	if l := r.l0.Load(); l != nil && l.gen == gen && now.Before(l.until) {
		return l
	}
	return nil
}
