package edge

import (
	"net"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkHitPath measures the handler's work for a cached variant (no
// network): parse (memoised), cache lookup, headers, metrics.
func BenchmarkHitPath(b *testing.B) { benchCachedHit(b, "/acme/cat.jpg?w=215&fm=webp") }

// BenchmarkHitPathBrowser is BenchmarkHitPath with the request headers a
// browser sends for an image (the handler looks up three of them).
func BenchmarkHitPathBrowser(b *testing.B) {
	benchCachedHit(b, "/acme/cat.jpg?w=215&fm=webp", browserHeaders...)
}

// BenchmarkHitPathNegotiated is BenchmarkHitPathBrowser for a URL whose
// format is negotiated from the browser's Accept (fm=auto).
func BenchmarkHitPathNegotiated(b *testing.B) {
	benchCachedHit(b, "/acme/cat.jpg?w=215&fm=auto", browserHeaders...)
}

// benchCachedHit caches uri on a test node (with headers), then runs its
// public handler on it with headers (see benchHandler).
func benchCachedHit(b *testing.B, uri string, headers ...string) {
	n := newTestNode(&testing.T{})
	defer n.srv.Close(b.Context())
	if r := n.get(uri, headers...); r.code != 200 {
		b.Fatal(r.code)
	}
	benchHandler(b, uri, n.srv.servePublic, headers...)
}

// browserHeaders are Chrome's request headers for an <img>.
var browserHeaders = []string{
	"Host", "cdn.example.com",
	"Connection", "keep-alive",
	"sec-ch-ua-platform", `"Linux"`,
	"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"sec-ch-ua", `"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"`,
	"sec-ch-ua-mobile", "?0",
	"Accept", "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
	"Sec-Fetch-Site", "cross-site",
	"Sec-Fetch-Mode", "no-cors",
	"Sec-Fetch-Dest", "image",
	"Referer", "https://www.example.com/",
	"Accept-Encoding", "gzip, deflate, br, zstd",
	"Accept-Language", "en-GB,en;q=0.9",
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

// benchHandler runs h on GET uri with headers (name, value pairs; by
// default only an Accept).
func benchHandler(b *testing.B, uri string, h fasthttp.RequestHandler, headers ...string) {
	if len(headers) == 0 {
		headers = []string{"Accept", "image/avif,image/webp,*/*"}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var req fasthttp.Request
		req.SetRequestURI(uri)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
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
