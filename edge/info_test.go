package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"testing"

	"pixcdn/edge/imageinfo"
	"pixcdn/edge/imgurl"
	"pixcdn/transform"
)

// thumbCodec is the fake codec, but its PNG outputs are real PNGs: a
// 32×16 thumbnail, red but for its rightmost quarter, blue.
type thumbCodec struct{ fakeCodec }

func (c *thumbCodec) Transform(ctx context.Context, src transform.Source, v Variant, format string) (Rendered, error) {
	out, err := c.fakeCodec.Transform(ctx, src, v, format)
	if err != nil || format != "png" {
		return out, err
	}
	img := image.NewNRGBA(image.Rect(0, 0, 32, 16))
	for y := range 16 {
		for x := range 32 {
			img.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 255})
			if x >= 24 {
				img.SetNRGBA(x, y, color.NRGBA{0, 0, 255, 255})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return Rendered{}, err
	}
	return Rendered{Body: b.Bytes(), ContentType: "image/png", Format: "png"}, nil
}

func withThumbCodec(c *thumbCodec) nodeOption {
	return func(_ *Config, d *Deps) { d.Codec = c }
}

func decodeInfo(t *testing.T, r result) imageinfo.Info {
	t.Helper()
	var info imageinfo.Info
	if err := json.Unmarshal([]byte(r.body), &info); err != nil {
		t.Fatalf("info body %q: %v", r.body, err)
	}
	return info
}

// TestInfoIsACachedVariant: ?info answers JSON describing the original
// (probed header, colours from the codec's thumbnail), with the security
// headers and no Vary; the second request is a hit, a matching
// If-None-Match a 304, and a purge of the image makes the next one a miss.
func TestInfoIsACachedVariant(t *testing.T) {
	codec := &thumbCodec{}
	n := newTestNode(t, withThumbCodec(codec))
	miss := n.get("/acme/cat.jpg?info", "Accept", "image/webp")
	if miss.code != 200 || miss.h("X-Cache") != "MISS" || miss.h("Content-Type") != "application/json" {
		t.Fatalf("miss: %+v", miss)
	}
	if miss.h("Content-Security-Policy") != string(valCSP) || miss.h("X-Content-Type-Options") != "nosniff" || miss.h("Vary") != "" ||
		miss.h("Access-Control-Allow-Origin") != "*" {
		t.Errorf("headers: %v", miss.headers)
	}
	info := decodeInfo(t, miss)
	if info.Width != 1 || info.Height != 1 || info.Format != "jpeg" || info.Bytes != len(catJPEG) || info.Orientation != 1 {
		t.Errorf("info %+v does not describe acme/cat.jpg", info)
	}
	if len(info.Dominant) != 2 || info.Dominant[0].Hex != "#ff0000" || info.Placeholder.Width != 16 {
		t.Errorf("colours and placeholder not from the thumbnail: %+v", info)
	}
	hit := n.get("/acme/cat.jpg?info=1")
	if hit.code != 200 || hit.h("X-Cache") != "HIT" || hit.body != miss.body || hit.h("ETag") != miss.h("ETag") {
		t.Errorf("info=1 after info: %d %s, ETag %q vs %q", hit.code, hit.h("X-Cache"), hit.h("ETag"), miss.h("ETag"))
	}
	if r := n.get("/acme/cat.jpg?info", "If-None-Match", miss.h("ETag")); r.code != 304 {
		t.Errorf("If-None-Match: %d", r.code)
	}
	if img := n.get("/acme/cat.jpg?w=10&fm=png"); img.h("ETag") == miss.h("ETag") || img.h("Access-Control-Allow-Origin") != "*" {
		t.Errorf("an image variant: ETag %s (info's %s), Access-Control-Allow-Origin %q", img.h("ETag"), miss.h("ETag"), img.h("Access-Control-Allow-Origin"))
	}
	if tr := codec.transforms.Load(); tr != 2 {
		t.Errorf("transforms = %d, want 2 (one thumbnail for info, one variant)", tr)
	}
	auth := []string{"Authorization", "Bearer purge-token"}
	if r := n.internalDo("POST", "/_purge", `{"tenant":"acme","ids":["cat.jpg"]}`, auth...); r.code != 200 {
		t.Fatalf("purge: %d %q", r.code, r.body)
	}
	if r := n.get("/acme/cat.jpg?info"); r.code != 200 || r.h("X-Cache") != "MISS" {
		t.Errorf("info after purge: %d %s", r.code, r.h("X-Cache"))
	}
}

func TestInfoWithOtherOptionsIsRefused(t *testing.T) {
	codec := &thumbCodec{}
	n := newTestNode(t, withThumbCodec(codec))
	for _, q := range []string{"info&w=100", "info=2", "info&fm=png"} {
		if r := n.get("/acme/cat.jpg?" + q); r.code != 400 {
			t.Errorf("?%s: %d %q, want 400", q, r.code, r.body)
		}
	}
	if r := n.get("/acme/nothing.jpg?info"); r.code != 404 {
		t.Errorf("info of a missing image: %d", r.code)
	}
	n.origin.put("acme", "x.svg", Original{Body: []byte(scriptSVG), ETag: `"x"`, ContentType: "image/svg+xml", Visibility: "public"})
	if r := n.get("/acme/x.svg?info"); r.code != 415 {
		t.Errorf("info of an SVG: %d %q, want 415", r.code, r.body)
	}
	if tr := codec.transforms.Load(); tr != 0 {
		t.Errorf("%d transforms for refused info requests", tr)
	}
}

// TestUnsignedInfoOfASignedImageIsForbiddenBeforeAnyWork: the info of a
// signed image needs a signed URL; unsigned it is 403 and costs no
// transform, signed it is served.
func TestUnsignedInfoOfASignedImageIsForbiddenBeforeAnyWork(t *testing.T) {
	key := []byte("sign-key-0123456789abcdef")
	codec := &thumbCodec{}
	n := newTestNode(t, withThumbCodec(codec), func(c *Config, _ *Deps) { c.URL.SignKeys = [][]byte{key} })
	n.origin.put("acme", "secret.jpg", Original{Body: []byte(fakeJPEG("S")), ETag: `"s"`, Visibility: "signed"})
	for range 3 {
		if r := n.get("/acme/secret.jpg?info"); r.code != 403 {
			t.Fatalf("unsigned info: %d %q", r.code, r.body)
		}
	}
	if tr := codec.transforms.Load(); tr != 0 {
		t.Fatalf("unsigned info of a signed image: %d transforms", tr)
	}
	signed := imgurl.SignURL(key, "/acme/secret.jpg", "info")
	if r := n.get(signed); r.code != 200 || decodeInfo(t, r).Bytes != len(fakeJPEG("S")) {
		t.Fatalf("signed info: %d %q", r.code, r.body)
	}
	if r := n.get("/acme/secret.jpg?info"); r.code != 403 {
		t.Fatalf("unsigned info once the signed one is cached: %d", r.code)
	}
}
