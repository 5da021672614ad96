package edge

import (
	"bytes"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

var (
	hdrETag         = []byte(fasthttp.HeaderETag)
	hdrLastModified = []byte(fasthttp.HeaderLastModified)
	hdrCacheControl = []byte(fasthttp.HeaderCacheControl)
	hdrVary         = []byte(fasthttp.HeaderVary)
	hdrXCache       = []byte("X-Cache")
	hdrNoSniff      = []byte("X-Content-Type-Options")
	hdrCSP          = []byte("Content-Security-Policy")
	hdrServerTiming = []byte("Server-Timing")
	hdrAge          = []byte("Age")
	valNoSniff      = []byte("nosniff")
	hdrACAO         = []byte(fasthttp.HeaderAccessControlAllowOrigin)
	hdrACEH         = []byte("Access-Control-Expose-Headers")
	hdrTAO          = []byte("Timing-Allow-Origin")
	valAnyOrigin    = []byte("*")
	// valExposed are the headers a page on another origin (the web
	// console) may read from a fetch of an image, besides the safelisted
	// Content-Type and Content-Length.
	valExposed = []byte("X-Cache, Age, ETag, Server-Timing")
	// valCSP is the Content-Security-Policy of every response of the public
	// port: a response opened as a document (an image URL navigated to,
	// framed or embedded) loads nothing and runs no script (sandbox, with
	// default-src 'none'); inline styles stay allowed so browsers can lay
	// out an image they show on its own.
	valCSP = []byte("default-src 'none'; style-src 'unsafe-inline'; sandbox")
	// valServerTimingL0 is the Server-Timing of hits answered from an L0
	// template: they take a few microseconds, and formatting and setting
	// that duration per request cost about 1% of the hit path's CPU.
	valServerTimingL0 = []byte("edge;desc=hit")
	valAccept         = []byte("Accept")

	// Request header names as fasthttp stores them (normalised), for
	// PeekCanonical, which skips normalising the name on every call.
	hdrAccept          = []byte(fasthttp.HeaderAccept)
	hdrIfNoneMatch     = []byte(fasthttp.HeaderIfNoneMatch)
	hdrIfModifiedSince = []byte(fasthttp.HeaderIfModifiedSince)
)

// respond writes e as a 200 or, when the request's validators match, a 304,
// at now. header, if not nil, holds an L0 hit's whole header as at now
// (its entryHeaders, X-Cache, Age and Content-Type); it replaces whatever
// the response header held. The body is shared with the cache and never
// modified.
func (s *Server) respond(ctx *fasthttp.RequestCtx, r *request, e *Entry, header *fasthttp.ResponseHeader, res cacheResult, now time.Time) {
	h := &ctx.Response.Header
	if header != nil {
		header.CopyTo(h)
	} else {
		s.entryHeaders(h, r, e)
		h.SetCanonical(hdrXCache, s2b(resultHeaders[res]))
		setAge(h, entryAge(e, now))
		h.SetContentType(e.ContentType)
	}
	if notModified(&ctx.Request.Header, e) {
		// A 304 carries no representation metadata beyond the validators
		// and caching headers (RFC 9110 §15.4.5).
		h.SetContentType("")
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	ctx.Response.SetBodyRaw(e.Body)
}

// entryAge is e's Age at now in whole seconds.
func entryAge(e *Entry, now time.Time) int64 {
	return max(int64(now.Sub(e.Created)/time.Second), 0)
}

func setAge(h *fasthttp.ResponseHeader, age int64) {
	var buf [24]byte
	h.SetCanonical(hdrAge, strconv.AppendInt(buf[:0], age, 10))
}

// entryHeaders sets the response headers of e that are the same for every
// request: ETag, Last-Modified, Cache-Control, Vary (when the format was
// negotiated or client hints used), Accept-CH (when the URL asks for
// client hints) and the security and cross-origin headers
// (setSecurityHeaders). An L0 template's header is built with it too.
func (s *Server) entryHeaders(h *fasthttp.ResponseHeader, r *request, e *Entry) {
	// Canonical keys: the header names are spelled right already.
	h.SetCanonical(hdrETag, s2b(e.ETag))
	if !e.LastModified.IsZero() {
		var buf [32]byte
		h.SetCanonical(hdrLastModified, fasthttp.AppendHTTPDate(buf[:0], e.LastModified))
	}
	h.SetCanonical(hdrCacheControl, s2b(s.policy.header(e.Policy)))
	if r.varyHeader != nil {
		h.SetCanonical(hdrVary, r.varyHeader)
	}
	if r.hinted {
		h.SetCanonical(hdrAcceptCH, valAcceptCH)
	}
	setSecurityHeaders(h)
}

// setSecurityHeaders sets the headers every response of the public port
// carries, whatever its status: X-Content-Type-Options: nosniff, the
// Content-Security-Policy valCSP, and the cross-origin grants that let a
// page elsewhere (the origin's web console) load an image with
// crossorigin and read its format, size and cache result: CORS without
// credentials (Access-Control-Allow-Origin: *, valExposed) and
// Timing-Allow-Origin: *, for Resource Timing's sizes and Server-Timing.
// Anyone holding an image URL can fetch it anyway; no cookie or key is
// involved.
func setSecurityHeaders(h *fasthttp.ResponseHeader) {
	h.SetCanonical(hdrNoSniff, valNoSniff)
	h.SetCanonical(hdrCSP, valCSP)
	h.SetCanonical(hdrACAO, valAnyOrigin)
	h.SetCanonical(hdrACEH, valExposed)
	h.SetCanonical(hdrTAO, valAnyOrigin)
}

// serverTiming renders `edge;desc=hit;dur=0.042` (milliseconds, three
// decimals).
func serverTiming(b []byte, res cacheResult, d time.Duration) []byte {
	b = append(b, "edge;desc="...)
	b = append(b, resultLabels[res]...)
	b = append(b, ";dur="...)
	us := max(d.Microseconds(), 0)
	b = strconv.AppendInt(b, us/1000, 10)
	frac := us % 1000
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

// notModified evaluates If-None-Match (a list, weak comparison, "*") and,
// only when it is absent, If-Modified-Since (RFC 9110 §13.2.2).
func notModified(h *fasthttp.RequestHeader, e *Entry) bool {
	if inm := h.PeekCanonical(hdrIfNoneMatch); len(inm) > 0 {
		return etagListMatches(inm, s2b(e.ETag))
	}
	ims := h.PeekCanonical(hdrIfModifiedSince)
	if len(ims) == 0 || e.LastModified.IsZero() {
		return false
	}
	t, err := fasthttp.ParseHTTPDate(ims)
	return err == nil && !e.LastModified.Truncate(time.Second).After(t)
}

// etagListMatches reports whether any entity tag of the list weakly matches
// etag (W/ prefixes ignored on both sides).
func etagListMatches(list, etag []byte) bool {
	etag = bytes.TrimPrefix(etag, []byte("W/"))
	for len(list) > 0 {
		var item []byte
		item, list, _ = bytes.Cut(list, []byte(","))
		item = bytes.TrimSpace(item)
		if len(item) == 1 && item[0] == '*' {
			return true
		}
		if bytes.Equal(bytes.TrimPrefix(item, []byte("W/")), etag) {
			return true
		}
	}
	return false
}

// writeError answers with the status and short plain-text body of err.
// Errors are never cached as successes.
func (s *Server) writeError(ctx *fasthttp.RequestCtx, err error) {
	code, msg := statusFor(err)
	if code == fasthttp.StatusServiceUnavailable || code == fasthttp.StatusTooManyRequests {
		secs := max(int64(s.cfg.RetryAfter/time.Second), 1)
		ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, strconv.FormatInt(secs, 10))
	}
	if code >= 500 && code != fasthttp.StatusServiceUnavailable {
		s.log.Warn("request failed", "uri", string(ctx.RequestURI()), "status", code, "err", err)
	}
	writeText(ctx, code, msg)
	if code == fasthttp.StatusNotFound {
		// Downstream caches may keep a 404 as long as this node does.
		secs := strconv.FormatInt(int64(s.cfg.NegativeTTL/time.Second), 10)
		ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "public, max-age="+secs)
	}
}

// writeText writes a short plain-text response that no cache may keep,
// with the security headers.
func writeText(ctx *fasthttp.RequestCtx, code int, msg string) {
	ctx.SetStatusCode(code)
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-store")
	ctx.Response.Header.SetContentType("text/plain; charset=utf-8")
	setSecurityHeaders(&ctx.Response.Header)
	ctx.Response.SetBodyString(msg + "\n")
}
