package edge

import (
	"context"
	"time"

	"github.com/valyala/fasthttp"
)

// relayedHeaders are copied from the owner's answer to the client.
var relayedHeaders = []string{
	fasthttp.HeaderContentType, fasthttp.HeaderETag, fasthttp.HeaderLastModified,
	fasthttp.HeaderCacheControl, fasthttp.HeaderVary, "Age", fasthttp.HeaderRetryAfter,
	"X-Content-Type-Options",
}

// forward sends the request to the variant's owner once and relays the
// answer. It returns false, writing nothing, when the owner cannot answer
// (unreachable, timed out, or failing with a 5xx other than an origin
// error), so the caller serves the request itself: a dying peer costs no
// client errors.
func (s *Server) forward(ctx *fasthttp.RequestCtx, owner Peer, start time.Time) bool {
	fctx, cancel := context.WithTimeout(s.ctx, s.cfg.ForwardTimeout)
	defer cancel()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	err := s.deps.Peers.Forward(fctx, owner.InternalAddr, &ctx.Request, resp)
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
	ctx.Response.Header.SetCanonical(hdrXCache, []byte("PEER"))
	var buf [48]byte
	ctx.Response.Header.SetCanonical(hdrServerTiming, serverTiming(buf[:0], resPeer, time.Since(start)))
	ctx.Response.SetBody(resp.Body())
	return true
}

// relayable reports whether an owner's status is the answer (as opposed to
// the owner itself failing).
func relayable(code int) bool {
	return code < 500 || code == fasthttp.StatusBadGateway || code == fasthttp.StatusGatewayTimeout
}
