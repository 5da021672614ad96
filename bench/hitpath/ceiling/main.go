// Command ceiling is the hit-path benchmark's ceiling: a bare fasthttp
// server that answers every request with the same bytes from memory and a
// few headers an image CDN sends, doing nothing else. pixcdn's hit path is
// measured against it (bench/hitpath/run.sh). With -header it sends the
// headers given instead, and with -same-as those of another server's
// answer (the scripts pass a pixcdn hit's URL, so that both send the same
// response bytes).
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
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
	var headers headerList
	flag.Var(&headers, "header", "`Name: value` to send instead of the default ETag and Cache-Control (repeatable)")
	sameAs := flag.String("same-as", "", "`URL` whose answer's headers to send as with -header (all but those fasthttp sets itself: Server, Date, Content-Type, Content-Length)")
	flag.Parse()
	if *sameAs != "" {
		if err := headers.copyFrom(*sameAs); err != nil {
			log.Fatal(err)
		}
	}
	if len(headers) == 0 {
		headers = headerList{{[]byte("ETag"), []byte(`"ceiling"`)}, {[]byte("Cache-Control"), []byte("public, max-age=3600")}}
	}
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	handler := func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.SetContentType(*ctype)
		for _, h := range headers {
			ctx.Response.Header.SetCanonical(h[0], h[1])
		}
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

// headerList collects -header flags as name, value pairs.
type headerList [][2][]byte

// copyFrom adds the headers of url's answer that fasthttp does not set
// itself.
func (l *headerList) copyFrom(url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	for name, values := range resp.Header {
		switch name {
		case "Server", "Date", "Content-Type", "Content-Length":
			continue
		}
		for _, v := range values {
			*l = append(*l, [2][]byte{[]byte(name), []byte(v)})
		}
	}
	return nil
}

func (l *headerList) String() string { return fmt.Sprint(len(*l), " headers") }

func (l *headerList) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("header %q: want \"Name: value\"", v)
	}
	*l = append(*l, [2][]byte{[]byte(strings.TrimSpace(name)), []byte(strings.TrimSpace(value))})
	return nil
}
