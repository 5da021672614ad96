package edge

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
	"github.com/valyala/fasthttp/pprofhandler"

	"pixcdn/edge/imgurl"
	"pixcdn/edge/peer"
)

// internalServer builds the fasthttp server of the internal port: metrics,
// health, cluster status, purges, peer endpoints and, when Config.Profiling
// allows it, pprof behind the cluster secret. It must never be exposed
// publicly.
func (s *Server) internalServer() *fasthttp.Server {
	metricsHandler := fasthttpadaptor.NewFastHTTPHandler(
		promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	return &fasthttp.Server{
		Name:               "pixcdn-internal",
		ReadBufferSize:     s.cfg.Limits.MaxHeaderBytes,
		WriteBufferSize:    s.cfg.Limits.WriteBufferBytes,
		MaxRequestBodySize: 1 << 20,
		Logger:             fasthttpLogger{s.log},
		Handler: func(ctx *fasthttp.RequestCtx) {
			s.serveInternal(ctx, metricsHandler)
		},
	}
}

func (s *Server) serveInternal(ctx *fasthttp.RequestCtx, metricsHandler fasthttp.RequestHandler) {
	path := ctx.Path()
	switch {
	case bytes.HasPrefix(path, []byte(peer.PathVariant+"/")):
		s.servePeerVariant(ctx)
	case bytes.HasPrefix(path, []byte(peer.PathOriginal+"/")):
		s.servePeerOriginal(ctx)
	case string(path) == "/metrics":
		s.refreshGauges()
		metricsHandler(ctx)
	case string(path) == "/healthz":
		writeText(ctx, fasthttp.StatusOK, "ok")
	case string(path) == "/readyz":
		s.serveReady(ctx)
	case string(path) == "/_cluster":
		s.serveCluster(ctx)
	case bytes.HasPrefix(path, []byte("/_cluster/")):
		s.serveClusterAsset(ctx)
	case string(path) == "/_purge":
		s.servePurge(ctx)
	case bytes.HasPrefix(path, []byte("/debug/pprof")):
		s.servePprof(ctx)
	default:
		writeText(ctx, fasthttp.StatusNotFound, "not found")
	}
}

func (s *Server) serveReady(ctx *fasthttp.RequestCtx) {
	select {
	case <-s.ready:
	default:
		writeText(ctx, fasthttp.StatusServiceUnavailable, "starting")
		return
	}
	if s.ctx.Err() != nil {
		writeText(ctx, fasthttp.StatusServiceUnavailable, "shutting down")
		return
	}
	writeText(ctx, fasthttp.StatusOK, "ready")
}

// servePprof serves the Go profiler only when Config.Profiling is on and
// only to holders of the cluster secret: /debug/pprof/cmdline shows the
// process's command line, and profiles show memory that may hold secrets.
func (s *Server) servePprof(ctx *fasthttp.RequestCtx) {
	if !s.cfg.Profiling {
		writeText(ctx, fasthttp.StatusNotFound, "not found")
		return
	}
	if !peer.Authorized(&ctx.Request.Header, s.cfg.ClusterSecret) {
		writeText(ctx, fasthttp.StatusUnauthorized, "unauthorized")
		return
	}
	pprofhandler.PprofHandler(ctx)
}

// servePeerVariant serves a public request forwarded by a peer, locally.
func (s *Server) servePeerVariant(ctx *fasthttp.RequestCtx) {
	if !peer.Authorized(&ctx.Request.Header, s.cfg.ClusterSecret) {
		writeText(ctx, fasthttp.StatusUnauthorized, "unauthorized")
		return
	}
	uri := ctx.Request.Header.RequestURI()
	ctx.Request.Header.SetRequestURIBytes(append([]byte(nil), uri[len(peer.PathVariant):]...))
	s.setFeedPosition(ctx)
	// Not counted in pixcdn_requests_total: the node the client reached
	// counts it (as "peer"), so cluster-wide sums count each request once.
	start := time.Now()
	if s.tracer == nil {
		s.handle(ctx, true, start)
		return
	}
	span := s.startServerSpan(ctx, spanPeerVariant, start)
	r, res, _ := s.handle(ctx, true, start)
	endServerSpan(span, ctx, r, res)
}

// servePeerOriginal serves an original this node owns to a peer.
func (s *Server) servePeerOriginal(ctx *fasthttp.RequestCtx) {
	if !peer.Authorized(&ctx.Request.Header, s.cfg.ClusterSecret) {
		writeText(ctx, fasthttp.StatusUnauthorized, "unauthorized")
		return
	}
	if s.tracer != nil {
		span := s.startServerSpan(ctx, spanPeerOriginal, time.Now())
		defer func() { endServerSpan(span, ctx, nil, resNone) }()
	}
	s.setFeedPosition(ctx)
	rawPath := string(ctx.Request.Header.RequestURI()[len(peer.PathOriginal):])
	rawPath, _, _ = strings.Cut(rawPath, "?")
	tenant, id, err := imgurl.Split(rawPath)
	if err != nil {
		s.writeError(ctx, err)
		return
	}
	fctx, cancel := context.WithTimeout(s.requestContext(ctx, s.ctx), s.cfg.RequestTimeout)
	defer cancel()
	if err, ok := s.neg.Get(imgurl.OriginalKey(tenant, id), s.clock()); ok {
		s.writeError(ctx, err)
		return
	}
	revalidate := string(ctx.Request.Header.Peek(fasthttp.HeaderCacheControl)) == "no-cache"
	guard := s.deps.Cache.Guard(ImageRef{Tenant: tenant, PublicID: id})
	e, err := s.ownOriginal(fctx, tenant, id, revalidate)
	if err != nil {
		s.writeError(ctx, err)
		return
	}
	src := source{Entry: e, own: true}
	if q := ctx.QueryArgs().Peek(peer.QueryVariant); len(q) > 0 && s.masters != nil {
		if v, err := s.deps.Codec.Parse(string(q)); err == nil {
			src = s.masterFor(fctx, e, &v, guard)
		}
	}
	writePeerOriginal(ctx, &src)
}

// setFeedPosition stamps a peer answer, before it is made, with the feed
// position this node has applied (see feedPositions): the answer reflects
// at least every event up to it.
func (s *Server) setFeedPosition(ctx *fasthttp.RequestCtx) {
	if s.deps.Events != nil {
		peer.SetFeedPosition(&ctx.Response.Header, s.feed.applied.Load())
	}
}

// writePeerOriginal answers a peer with src: the original, or its master
// with both sizes.
func writePeerOriginal(ctx *fasthttp.RequestCtx, src *source) {
	visibility := "public"
	if src.Image.Signed {
		visibility = "signed"
	}
	o := peer.Original{
		ETag: src.ETag, ContentType: src.ContentType, CacheControl: src.Policy.Header(),
		Visibility: visibility, LastModified: src.LastModified, Version: src.Image.Version, Tags: src.Image.Tags,
	}
	if src.fromMaster() {
		o.Size, o.MasterSize = formatSize(src.orig), formatSize(src.master)
	}
	peer.WriteOriginalHeaders(&ctx.Response.Header, &o)
	if inm := ctx.Request.Header.Peek(fasthttp.HeaderIfNoneMatch); len(inm) > 0 && etagListMatches(inm, []byte(src.ETag)) {
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	ctx.Response.SetBodyRaw(src.Body)
}
