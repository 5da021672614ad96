package edge

import (
	"errors"
	"time"

	"github.com/valyala/fasthttp"
)

// publicServer builds the fasthttp server of the public port with the
// protection limits of the config.
func (s *Server) publicServer() *fasthttp.Server {
	l := s.cfg.Limits
	return &fasthttp.Server{
		Handler:                       s.servePublic,
		Name:                          "pixcdn",
		ReadBufferSize:                l.MaxHeaderBytes,
		MaxRequestBodySize:            1 << 10,
		MaxConnsPerIP:                 l.MaxConnsPerIP,
		Concurrency:                   l.MaxConns,
		ReadTimeout:                   l.ReadTimeout,
		WriteTimeout:                  l.WriteTimeout,
		IdleTimeout:                   l.IdleTimeout,
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
func (s *Server) servePublic(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	res := s.handle(ctx, false, start)
	s.metrics.observe(res, ctx.Response.StatusCode(), time.Since(start))
}

// handle serves one public request; hop is true when a peer forwarded it
// (then it is never forwarded again). It returns the cache result.
func (s *Server) handle(ctx *fasthttp.RequestCtx, hop bool, start time.Time) cacheResult {
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set(fasthttp.HeaderAllow, "GET, HEAD")
		writeText(ctx, fasthttp.StatusMethodNotAllowed, "method not allowed")
		return resNone
	}
	if len(ctx.Request.Header.RequestURI()) > s.cfg.Limits.MaxURLBytes {
		writeText(ctx, fasthttp.StatusRequestURITooLong, "URL too long")
		return resNone
	}
	r, err := s.parse(ctx)
	if err != nil {
		s.writeError(ctx, err)
		return resNone
	}
	if !hop && s.deps.Peers != nil {
		if owner, self := s.deps.Ring.Owner(r.key); !self {
			if s.forward(ctx, owner, start) {
				return resPeer
			}
		}
	}
	e, res, err := s.lookup(r)
	if err == nil && e.Image.Signed && !r.signed {
		err = ErrForbidden
	}
	if err != nil {
		s.writeError(ctx, err)
		return res
	}
	s.respond(ctx, r, &e, res, start)
	return res
}

// request is a parsed public request.
type request struct {
	tenant, publicID string
	signed           bool
	variant          Variant
	format           string // output format name; "" for originals
	vary             bool   // the format was negotiated from Accept
	key              []byte // variant key (the original key for originals)
	origKey          []byte
}
