// Command ceiling is the hit-path benchmark's ceiling: a bare fasthttp
// server that answers every request with the same bytes from memory and the
// headers an image CDN sends, doing nothing else. pixcdn's hit path is
// measured against it (bench/hitpath/run.sh).
package main

import (
	"flag"
	"log"
	"os"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:19081", "listen address")
	file := flag.String("file", "", "file whose bytes every response carries")
	ctype := flag.String("type", "image/webp", "Content-Type of the file")
	edgeLimits := flag.Bool("edge-limits", false, "use the edge's server limits (timeouts, per-address connection cap, buffer sizes) to separate their cost from the handler's")
	only := flag.String("only", "", "with -edge-limits: only these limits (comma-separated: timeouts, conns, buffers)")
	flag.Parse()
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	handler := func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.SetContentType(*ctype)
		ctx.Response.Header.Set("ETag", `"ceiling"`)
		ctx.Response.Header.Set("Cache-Control", "public, max-age=3600")
		ctx.Response.SetBodyRaw(body)
	}
	srv := &fasthttp.Server{Handler: handler, Name: "ceiling"}
	if *edgeLimits {
		applyEdgeLimits(srv, *only)
	}
	log.Fatal(srv.ListenAndServe(*addr))
}

// applyEdgeLimits sets the values of edge.DefaultConfig().Limits.
func applyEdgeLimits(srv *fasthttp.Server, only string) {
	use := func(name string) bool { return only == "" || strings.Contains(only, name) }
	if use("buffers") {
		srv.ReadBufferSize, srv.MaxRequestBodySize = 8<<10, 1<<10
		srv.DisablePreParseMultipartForm, srv.NoDefaultContentType = true, true
	}
	if use("conns") {
		srv.MaxConnsPerIP, srv.Concurrency = 512, 65536
	}
	if use("timeouts") {
		srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = 10*time.Second, 30*time.Second, 60*time.Second
	}
}
