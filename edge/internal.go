package edge

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"pixcdn/edge/imgurl"
	"pixcdn/edge/internalport"
	"pixcdn/edge/peer"
	"pixcdn/transform"
)

// internalServer builds the fasthttp server of the internal port (package
// internalport), which serves from this node through internalNode.
func (s *Server) internalServer() *fasthttp.Server {
	metrics := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	return internalport.NewServer(internalport.Config{
		ClusterSecret: s.cfg.ClusterSecret, PurgeToken: s.cfg.PurgeToken, Profiling: s.cfg.Profiling,
		ReadBufferSize: s.cfg.Limits.MaxHeaderBytes, WriteBufferSize: s.cfg.Limits.WriteBufferBytes,
		Logger: fasthttpLogger{s.log},
	}, internalNode{s: s, metrics: metrics})
}

// internalNode is the Server as the internal port sees it
// (internalport.Node).
type internalNode struct {
	s       *Server
	metrics fasthttp.RequestHandler
}

var _ internalport.Node = internalNode{}

func (n internalNode) NotReady() string {
	select {
	case <-n.s.ready:
	default:
		return "starting"
	}
	if n.s.ctx.Err() != nil {
		return "shutting down"
	}
	return ""
}

func (n internalNode) ServePeerVariant(ctx *fasthttp.RequestCtx)  { n.s.servePeerVariant(ctx) }
func (n internalNode) ServePeerOriginal(ctx *fasthttp.RequestCtx) { n.s.servePeerOriginal(ctx) }
func (n internalNode) Purge(body []byte) error                    { return n.s.purgeFromPort(body) }

func (n internalNode) Status(cluster bool) []byte {
	if cluster {
		return n.s.clusterView()
	}
	b, _ := json.Marshal(n.s.clusterStatus())
	return append(b, '\n')
}

func (n internalNode) Metrics(ctx *fasthttp.RequestCtx) {
	n.s.refreshGauges()
	n.metrics(ctx)
}

// servePeerVariant serves a public request forwarded by a peer, locally;
// the internal port has checked the peer and restored the public URI.
func (s *Server) servePeerVariant(ctx *fasthttp.RequestCtx) {
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

// servePeerOriginal serves an original this node owns (or its master) to
// a peer the internal port has checked.
func (s *Server) servePeerOriginal(ctx *fasthttp.RequestCtx) {
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
	if len(ctx.Request.Header.Peek(peer.HeaderBackground)) > 0 {
		fctx = transform.WithBackground(fctx)
	}
	guard := s.deps.Cache.Guard(ImageRef{Tenant: tenant, PublicID: id})
	e, err := s.ownOriginal(fctx, tenant, id, revalidate, nil)
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
