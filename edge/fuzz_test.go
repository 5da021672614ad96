package edge

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"pixcdn/edge/imgurl"
)

// FuzzPublicRequest sends arbitrary request URIs and Accept headers through
// the public handler: it must answer with a valid status and never panic,
// and must never answer 200 for a path outside /{tenant}/{public_id}.
func FuzzPublicRequest(f *testing.F) {
	for _, s := range []string{"/acme/cat.jpg?w=10", "/acme/../x", "/acme/cat.jpg?s=AAAA&w=1", "/%zz/cat.jpg", "/acme/cat.jpg?p=x&p=y", "/acme/cat.jpg?info", "/acme/cat.jpg?info&w=1"} {
		f.Add(s, "image/webp")
	}
	n := newTestNode(&testing.T{})
	f.Cleanup(func() { n.srv.Close(f.Context()) })
	f.Fuzz(func(t *testing.T, uri, accept string) {
		var req fasthttp.Request
		req.Header.SetRequestURI(uri)
		req.Header.Set("Accept", accept)
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
		n.srv.servePublic(&ctx)
		code := ctx.Response.StatusCode()
		if code < 200 || code > 599 {
			t.Fatalf("%q: status %d", uri, code)
		}
		if code != 200 && code != 304 {
			return
		}
		// Only the one image that exists may be served.
		path, _, _ := strings.Cut(string(req.Header.RequestURI()), "?")
		tenant, id, err := imgurl.Split(path)
		if err != nil || tenant != "acme" || id != "cat.jpg" || !bytes.HasPrefix(ctx.Response.Body(), []byte(catJPEG)) {
			t.Fatalf("%q served %q (%v)", uri, ctx.Response.Body(), err)
		}
	})
}
