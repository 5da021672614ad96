package edge

import (
	"github.com/valyala/fasthttp"

	"pixcdn/edge/imgurl"
)

// parse turns a public request into a request: path, signature, presets,
// options, negotiated format and keys. Results are memoised; the returned
// request is shared and must not be modified.
func (s *Server) parse(ctx *fasthttp.RequestCtx) (*request, error) {
	uri := ctx.Request.Header.RequestURI()
	accept := ctx.Request.Header.PeekCanonical(hdrAccept)
	if r := s.memo.get(uri, accept); r != nil {
		return r, nil
	}
	r, err := s.parseURI(uri, accept)
	if err == nil && !imgurl.HasExpiry(string(uri)) { // an expiring URL is checked every time
		s.memo.put(uri, accept, r)
	}
	return r, err
}

func (s *Server) parseURI(uri, accept []byte) (*request, error) {
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
	v, err := s.deps.Codec.Parse(u.Options)
	if err != nil {
		return nil, err
	}
	r := &request{tenant: u.Tenant, publicID: u.PublicID, signed: u.Signed, variant: v}
	r.origKey = imgurl.OriginalKey(r.tenant, r.publicID)
	if v.Original {
		r.key = r.origKey
		return r, nil
	}
	r.format = v.Format
	if r.format == "auto" {
		r.format = s.deps.Codec.Negotiate(string(accept))
		r.vary = true
	}
	r.key = imgurl.VariantKey(r.tenant, r.publicID, v.Canonical, r.format)
	return r, nil
}
