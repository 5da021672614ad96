package edge

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"pixcdn/edge/peer"
)

// catJPEG is the fake origin's acme/cat.jpg (see fakeJPEG).
var catJPEG = fakeJPEG("CATBYTES")

// fakeJPEG returns the smallest bytes transform.Probe reads as a JPEG
// (1×1): a start of image, a comment segment holding name, so fixtures
// and the fake codec's output stay readable, and a frame header. No pixel
// data follows.
func fakeJPEG(name string) string {
	var b bytes.Buffer
	b.WriteString("\xff\xd8\xff\xfe")
	binary.Write(&b, binary.BigEndian, uint16(len(name)+2))
	b.WriteString(name)
	b.WriteString("\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00")
	return b.String()
}

const scriptSVG = `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`

// TestOriginalsAreServedWithTheirSniffedType: an original goes out with
// the type of the raster format in its bytes, whatever the origin
// declared; bytes that are no raster image are refused, never cached, and
// never reach the codec.
func TestOriginalsAreServedWithTheirSniffedType(t *testing.T) {
	n := newTestNode(t)
	put := func(id, body, declared string) {
		n.origin.put("acme", id, Original{Body: []byte(body), ETag: `"` + id + `"`, ContentType: declared})
	}
	put("jpeg-declared-svg.jpg", fakeJPEG("J"), "image/svg+xml")
	put("jpeg-declared-html", fakeJPEG("H"), "text/html")
	put("svg-declared-png.png", scriptSVG, "image/png")
	put("html-declared-jpeg.jpg", "<!doctype html><script>alert(1)</script>", "image/jpeg")
	put("xml-declared-gif.gif", `<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>`, "image/gif")
	put("broken.jpg", "\xff\xd8\xff\x00", "image/jpeg")
	for _, c := range []struct {
		id, contentType string
		code            int
	}{
		{"jpeg-declared-svg.jpg", "image/jpeg", 200},
		{"jpeg-declared-html", "image/jpeg", 200},
		{"svg-declared-png.png", "text/plain; charset=utf-8", 415},
		{"html-declared-jpeg.jpg", "text/plain; charset=utf-8", 415},
		{"xml-declared-gif.gif", "text/plain; charset=utf-8", 415},
		{"broken.jpg", "text/plain; charset=utf-8", 422},
	} {
		for _, uri := range []string{"/acme/" + c.id, "/acme/" + c.id + "?w=10&fm=png"} {
			before := n.origin.fetches.Load()
			r := n.get(uri)
			wantType := c.contentType
			if c.code == 200 && uri != "/acme/"+c.id {
				wantType = "image/png" // the codec's output
			}
			if r.code != c.code || r.h("Content-Type") != wantType {
				t.Errorf("GET %s: %d %q, want %d %q", uri, r.code, r.h("Content-Type"), c.code, wantType)
			}
			// A refusal is remembered for NegativeTTL, like a 404: the
			// first request fetches, the next of the same image does not.
			fetched := n.origin.fetches.Load() != before
			if first := uri == "/acme/"+c.id; c.code != 200 && fetched != first {
				t.Errorf("GET %s: origin fetched %v, want %v (the refusal remembered after the first)", uri, fetched, first)
			}
		}
	}
	n.advance(11 * time.Second) // past NegativeTTL: asked again
	before := n.origin.fetches.Load()
	if r := n.get("/acme/svg-declared-png.png"); r.code != 415 || n.origin.fetches.Load() != before+1 {
		t.Errorf("after NegativeTTL: %d, %d fetches; want 415 after one new fetch", r.code, n.origin.fetches.Load()-before)
	}
	if got := n.codec.transforms.Load(); got != 2 {
		t.Errorf("%d transforms, want 2 (the refused originals never reach the codec)", got)
	}
}

// svgPeer is a peer that fails every forward, so the node serves a
// variant itself, and hands out an SVG as the original.
type svgPeer struct{ fetches int }

func (svgPeer) Forward(context.Context, string, *fasthttp.Request, *fasthttp.Response) error {
	return errors.New("svgPeer: no forwards")
}

func (p *svgPeer) FetchOriginal(context.Context, string, string, string, bool, string) (peer.Original, error) {
	p.fetches++
	return peer.Original{Body: []byte(scriptSVG), ETag: `"svg"`, ContentType: "image/png", Visibility: "public"}, nil
}

// TestOriginalsFromPeersAreSniffedToo: an original handed over by its
// ring owner passes the same check as one from the origin.
func TestOriginalsFromPeersAreSniffedToo(t *testing.T) {
	p := &svgPeer{}
	n := newTestNode(t, func(_ *Config, d *Deps) {
		d.Ring, d.Peers = fixedRing{owner: Peer{Name: "owner", InternalAddr: "owner:9"}}, p
	})
	r := n.get("/acme/peer.svg?w=10&fm=png")
	if r.code != 415 || p.fetches != 1 || n.codec.transforms.Load() != 0 {
		t.Fatalf("variant of an SVG from the owner: %d %q, %d peer fetches, %d transforms; want 415 after one fetch and no transform",
			r.code, r.body, p.fetches, n.codec.transforms.Load())
	}
}
