package edge

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"pixcdn/edge/connlimit"
	"pixcdn/edge/peer"
)

// relayedHeaders are copied from the owner's answer to the client.
var relayedHeaders = []string{
	fasthttp.HeaderContentType, fasthttp.HeaderETag, fasthttp.HeaderLastModified,
	fasthttp.HeaderCacheControl, fasthttp.HeaderVary, "Age", fasthttp.HeaderRetryAfter,
	"X-Content-Type-Options", "Accept-CH", fasthttp.HeaderAccessControlAllowOrigin,
}

// forward sends the request to the variant's owner once and relays the
// answer. It returns false, writing nothing, when the owner cannot answer
// (unreachable, timed out, or failing with a 5xx other than an origin
// error) or answered from before an origin event this node has applied
// (feedPositions), so the caller serves the request itself: a dying or
// lagging peer costs no client errors and no stale copy.
func (s *Server) forward(ctx *fasthttp.RequestCtx, r *request, owner Peer) bool {
	fctx, cancel := context.WithTimeout(s.ctx, s.cfg.ForwardTimeout)
	defer cancel()
	var span trace.Span
	if s.tracer != nil {
		fctx, span = s.tracer.Start(s.requestContext(ctx, fctx), "forward to owner",
			trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attribute.String("pixcdn.peer", owner.Name)))
	}
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	if client, ok := connlimit.ClientOf(ctx.RemoteIP()); ok {
		ctx.Request.Header.Set(peer.HeaderClient, client.String())
	} else {
		ctx.Request.Header.Del(peer.HeaderClient)
	}
	err := s.deps.Peers.Forward(fctx, owner.InternalAddr, &ctx.Request, resp)
	if span != nil {
		endForwardSpan(span, resp, err)
	}
	if err == nil && relayable(resp.StatusCode()) {
		if pos, known := peer.FeedPosition(&resp.Header); !s.feed.peerCurrent(r.tenant, pos, known) {
			err = errPeerBehind
		}
	}
	if err != nil || !relayable(resp.StatusCode()) {
		s.metrics.forwards.WithLabelValues("fallback").Inc()
		s.log.Debug("owner failed, serving locally", "owner", owner.Name, "err", err, "status", resp.StatusCode())
		return false
	}
	s.metrics.forwards.WithLabelValues("ok").Inc()
	ctx.SetStatusCode(resp.StatusCode())
	for _, name := range relayedHeaders {
		if v := resp.Header.Peek(name); len(v) > 0 {
			ctx.Response.Header.SetBytesV(name, v)
		}
	}
	setSecurityHeaders(&ctx.Response.Header)
	ctx.Response.Header.SetCanonical(hdrXCache, []byte("PEER"))
	ctx.Response.SetBody(resp.Body())
	provisional := len(resp.Header.Peek(peer.HeaderProvisional)) > 0
	if resp.StatusCode() == fasthttp.StatusOK && !provisional && s.hot.Admit(r.key) {
		if e, now := hotEntryFrom(r, resp, s.clock(), s.cfg.DefaultPolicy), s.clock(); !e.Image.Signed {
			s.hot.Put(r.key, e, len(e.Body), e.FreshUntil.Sub(now), now)
		}
	}
	return true
}

// endForwardSpan records the owner's answer (or failure) on a forward's
// span and ends it.
func endForwardSpan(span trace.Span, resp *fasthttp.Response, err error) {
	switch {
	case err != nil:
		span.SetStatus(codes.Error, err.Error())
	case !relayable(resp.StatusCode()):
		span.SetStatus(codes.Error, "owner failed: served locally")
	}
	if err == nil {
		span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode()))
	}
	span.End()
}

// hotEntryFrom rebuilds a cache entry from an owner's 200 answer.
func hotEntryFrom(r *request, resp *fasthttp.Response, now time.Time, def Policy) Entry {
	h := &resp.Header
	e := Entry{
		Body: append([]byte(nil), resp.Body()...), ContentType: string(h.ContentType()),
		ETag: string(h.Peek(fasthttp.HeaderETag)), Policy: ParsePolicy(string(h.Peek(fasthttp.HeaderCacheControl)), def),
		Image: ImageRef{Tenant: r.tenant, PublicID: r.publicID, Signed: string(h.Peek(peer.HeaderVisibility)) != "public"},
	}
	e.LastModified, _ = fasthttp.ParseHTTPDate(h.Peek(fasthttp.HeaderLastModified))
	if tags := string(h.Peek(peer.HeaderTags)); tags != "" {
		e.Image.Tags = strings.Split(tags, ",")
	}
	age, _ := strconv.Atoi(string(h.Peek("Age")))
	e.Created = now.Add(-time.Duration(age) * time.Second)
	e.FreshUntil = e.Created.Add(e.Policy.MaxAge)
	e.StaleUntil = e.FreshUntil
	return e
}

// relayable reports whether an owner's status is the answer (as opposed to
// the owner itself failing).
func relayable(code int) bool {
	return code < 500 || code == fasthttp.StatusBadGateway || code == fasthttp.StatusGatewayTimeout
}
