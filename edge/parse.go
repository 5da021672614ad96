package edge

import (
	"github.com/valyala/fasthttp"

	"pixcdn/edge/imgurl"
)

// parse turns a public request into a request: path, signature, presets,
// options, client hints, negotiated format and keys. Results are memoised;
// the returned request is shared and must not be modified. Only a URI the
// memo knows to use client hints (dpr=auto, w=auto) has its hint headers
// read before the memo answers.
func (s *Server) parse(ctx *fasthttp.RequestCtx) (*request, error) {
	uri := ctx.Request.Header.RequestURI()
	accept := ctx.Request.Header.PeekCanonical(hdrAccept)
	r := s.memo.Get(uri, accept)
	if r != nil && r != usesHints {
		return r, nil
	}
	return s.parseUnmemoised(ctx, uri, accept, r == usesHints)
}

// parseUnmemoised is parse past a memo miss; hinted reports that the memo
// knows uri to use client hints, so it is looked up again by them.
func (s *Server) parseUnmemoised(ctx *fasthttp.RequestCtx, uri, accept []byte, hinted bool) (*request, error) {
	var keyBuf [256]byte
	if hinted {
		key := hintMemoKey(keyBuf[:0], accept, readClientHints(&ctx.Request.Header))
		if r := s.memo.Get(uri, key); r != nil && r != usesHints {
			return r, nil
		}
	}
	r, err := s.parseURI(uri, accept, &ctx.Request.Header)
	if err == nil && !imgurl.HasExpiry(string(uri)) { // an expiring URL is checked every time
		key := accept
		if r.hinted {
			key = hintMemoKey(keyBuf[:0], accept, r.hints)
		}
		s.memoise(uri, key, r)
	}
	return r, err
}

// parseURI parses uri; h is read only for the client hints of a URL that
// asks for them (resolveHints).
func (s *Server) parseURI(uri, accept []byte, h *fasthttp.RequestHeader) (*request, error) {
	// A copy: parsed names are kept beyond the handler (fills, cache entries).
	rawPath := string(uri)
	rawQuery := ""
	for i := 0; i < len(rawPath); i++ {
		if rawPath[i] == '?' {
			rawPath, rawQuery = rawPath[:i], rawPath[i+1:]
			break
		}
	}
	u, err := s.parser.Parse(rawPath, rawQuery)
	if err != nil {
		return nil, err
	}
	if u.Info {
		return infoRequest(u), nil
	}
	options, use, hints := resolveHints(u.Options, h)
	var v Variant
	if vp, ok := s.deps.Codec.(ValuesParser); ok && use == 0 {
		v, err = vp.ParseValues(u.Values) // options is u.Options, decoded in u.Values
	} else {
		v, err = s.deps.Codec.Parse(options)
	}
	if err != nil {
		return nil, err
	}
	r := &request{tenant: u.Tenant, publicID: u.PublicID, signed: u.Signed, variant: v,
		hinted: use != 0, hints: hints}
	r.origKey = imgurl.OriginalKey(r.tenant, r.publicID)
	if r.hinted { // the original too: with other hints it might not be
		r.varyHeader = hintVary(use, v.Format == "auto" && !v.Original)
	}
	if v.Original {
		r.key = r.origKey
		return r, nil
	}
	r.format = v.Format
	if r.format == "auto" {
		r.format = s.deps.Codec.Negotiate(string(accept))
		r.vary = true
	}
	if r.vary && !r.hinted {
		r.varyHeader = valAccept
	}
	r.key = imgurl.VariantKey(r.tenant, r.publicID, v.Canonical, r.format)
	return r, nil
}
