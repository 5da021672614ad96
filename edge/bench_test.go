package edge

import (
	"net"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkHitPath measures the handler's work for a cached variant (no
// network): parse (memoised), cache lookup, headers, metrics.
func BenchmarkHitPath(b *testing.B) {
	n := newTestNode(&testing.T{})
	defer n.srv.Close(b.Context())
	const uri = "/acme/cat.jpg?w=215&fm=webp"
	if r := n.get(uri); r.code != 200 {
		b.Fatal(r.code)
	}
	benchHandler(b, uri, n.srv.servePublic)
}

// BenchmarkBareHandler is the ceiling: fixed bytes and similar headers.
func BenchmarkBareHandler(b *testing.B) {
	body := make([]byte, 8<<10)
	benchHandler(b, "/acme/cat.jpg?w=215&fm=webp", func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.SetContentType("image/webp")
		ctx.Response.Header.Set("ETag", `"x"`)
		ctx.Response.Header.Set("Cache-Control", "public, max-age=3600")
		ctx.Response.SetBodyRaw(body)
	})
}

func benchHandler(b *testing.B, uri string, h fasthttp.RequestHandler) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var req fasthttp.Request
		req.SetRequestURI(uri)
		req.Header.Set("Accept", "image/avif,image/webp,*/*")
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
		for pb.Next() {
			ctx.Response.Reset()
			h(&ctx)
			if ctx.Response.StatusCode() != 200 {
				b.Fatal(ctx.Response.StatusCode())
			}
		}
	})
}
