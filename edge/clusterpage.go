package edge

import (
	"embed"
	"path"

	"github.com/valyala/fasthttp"
)

// The live cluster page is three static files (clusterpage/), its own
// small script without third-party code; see clusterview.go for the JSON
// it polls.
//
//go:embed clusterpage
var clusterPageFiles embed.FS

// clusterPageCSP lets the page run its own script, load its own style and
// fetch its own node's JSON, and nothing else.
const clusterPageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// clusterAssets maps the page's paths to their file and content type.
var clusterAssets = map[string]struct{ file, contentType string }{
	"/_cluster":             {"index.html", "text/html; charset=utf-8"},
	"/_cluster/cluster.js":  {"cluster.js", "text/javascript; charset=utf-8"},
	"/_cluster/cluster.css": {"cluster.css", "text/css; charset=utf-8"},
}

// serveClusterAsset answers a file of the cluster page, with its CSP; a
// path that is no file of the page is 404.
func (s *Server) serveClusterAsset(ctx *fasthttp.RequestCtx) {
	a, ok := clusterAssets[string(ctx.Path())]
	if !ok {
		writeText(ctx, fasthttp.StatusNotFound, "not found")
		return
	}
	b, err := clusterPageFiles.ReadFile(path.Join("clusterpage", a.file))
	if err != nil { // embedded at build time: cannot happen
		writeText(ctx, fasthttp.StatusInternalServerError, "internal error")
		return
	}
	h := &ctx.Response.Header
	h.SetContentType(a.contentType)
	h.Set(fasthttp.HeaderCacheControl, "no-cache")
	h.Set("Content-Security-Policy", clusterPageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	ctx.SetBody(b)
}
