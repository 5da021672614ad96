package edge

import (
	"bytes"
	"context"
	"fmt"
	"image/png"

	"pixcdn/edge/imageinfo"
	"pixcdn/edge/imgurl"
	"pixcdn/transform"
)

// Image info (GET /{tenant}/{id}?info, package imageinfo) is a variant
// whose output is JSON: its key is a variant key with the canonical options
// "info" (which no transform option query can spell) and the format
// "json", so it is routed, cached, revalidated, purged and signature-checked
// like any variant, and never negotiated (no Vary).
const (
	infoCanonical = "info"
	infoFormat    = "json"
	// infoMetricFormat is the format label of its transforms.
	infoMetricFormat = "info"
)

// infoRequest is the request for the info of u's image.
func infoRequest(u imgurl.Request) *request {
	r := &request{tenant: u.Tenant, publicID: u.PublicID, signed: u.Signed, info: true,
		variant: Variant{Canonical: infoCanonical, Format: infoFormat}, format: infoFormat}
	r.origKey = imgurl.OriginalKey(r.tenant, r.publicID)
	r.key = imgurl.VariantKey(r.tenant, r.publicID, infoCanonical, infoFormat)
	return r
}

// render makes r's output from its source: the codec's transform, or for
// an info request, the JSON describing src, which must be the original.
func (s *Server) render(ctx context.Context, r *request, src transform.Source) (Rendered, error) {
	if r.info {
		return s.describe(ctx, src)
	}
	return s.deps.Codec.Transform(ctx, src, r.variant, r.format)
}

// describe returns the imageinfo JSON of an original: its header as
// probed, and colours and placeholder from a ThumbQuery thumbnail the
// codec makes under its usual limits and admission.
func (s *Server) describe(ctx context.Context, src transform.Source) (Rendered, error) {
	meta := src.Meta()
	v, err := s.deps.Codec.Parse(imageinfo.ThumbQuery)
	if err != nil {
		return Rendered{}, err
	}
	out, err := s.deps.Codec.Transform(ctx, src, v, transform.PNG.String())
	if err != nil {
		return Rendered{}, err
	}
	thumb, err := png.Decode(bytes.NewReader(out.Body))
	if err != nil {
		return Rendered{}, fmt.Errorf("info: the codec's thumbnail is not a PNG: %w", err)
	}
	body := imageinfo.Encode(imageinfo.Describe(meta, thumb))
	return Rendered{Body: body, ContentType: imageinfo.ContentType, Format: infoMetricFormat}, nil
}
