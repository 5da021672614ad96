// Package internalport is an edge node's internal HTTP port: its routes,
// who may call each (the cluster secret for peer endpoints and the
// profiler, the purge token for purges), health, metrics and the files of
// the live /_cluster page. What it serves comes from the node behind it,
// through Node. The port must never be exposed publicly.
package internalport

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"path"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/pprofhandler"

	"pixcdn/edge/peer"
)

// Node is the edge node behind the port.
type Node interface {
	// NotReady returns why the node does not serve yet (or any more), ""
	// when it does.
	NotReady() string
	// ServePeerVariant serves a public request a peer forwarded; its
	// request URI is the public one (peer.PathVariant stripped).
	ServePeerVariant(ctx *fasthttp.RequestCtx)
	// ServePeerOriginal serves an original, or its master, to a peer.
	ServePeerOriginal(ctx *fasthttp.RequestCtx)
	// Purge applies the JSON purge request body and spreads it to the
	// cluster; an error is the client's mistake, told back with 400.
	Purge(body []byte) error
	// Status returns /_cluster's JSON: the node's own status, or with
	// cluster set every member's.
	Status(cluster bool) []byte
	// Metrics serves /metrics.
	Metrics(ctx *fasthttp.RequestCtx)
}

// Config configures the port.
type Config struct {
	// ClusterSecret authenticates peers and the profiler.
	ClusterSecret string
	// PurgeToken authenticates POST /_purge; empty refuses every purge.
	PurgeToken string
	// Profiling serves /debug/pprof (to holders of the cluster secret).
	Profiling bool
	// ReadBufferSize bounds a request's header; WriteBufferSize is the
	// connection's write buffer.
	ReadBufferSize, WriteBufferSize int
	// Logger receives fasthttp's own errors.
	Logger fasthttp.Logger
}

// maxBodyBytes bounds a request body (purges).
const maxBodyBytes = 1 << 20

// NewServer returns the fasthttp server of the port.
func NewServer(cfg Config, n Node) *fasthttp.Server {
	p := &port{cfg: cfg, node: n}
	return &fasthttp.Server{
		Name:               "pixcdn-internal",
		ReadBufferSize:     cfg.ReadBufferSize,
		WriteBufferSize:    cfg.WriteBufferSize,
		MaxRequestBodySize: maxBodyBytes,
		Logger:             cfg.Logger,
		Handler:            p.serve,
	}
}

type port struct {
	cfg  Config
	node Node
}

func (p *port) serve(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	switch {
	case bytes.HasPrefix(path, []byte(peer.PathVariant+"/")):
		if p.peerAuthorized(ctx) {
			uri := ctx.Request.Header.RequestURI()
			ctx.Request.Header.SetRequestURIBytes(append([]byte(nil), uri[len(peer.PathVariant):]...))
			p.node.ServePeerVariant(ctx)
		}
	case bytes.HasPrefix(path, []byte(peer.PathOriginal+"/")):
		if p.peerAuthorized(ctx) {
			p.node.ServePeerOriginal(ctx)
		}
	case string(path) == "/metrics":
		p.node.Metrics(ctx)
	case string(path) == "/healthz":
		writeText(ctx, fasthttp.StatusOK, "ok")
	case string(path) == "/readyz":
		if why := p.node.NotReady(); why != "" {
			writeText(ctx, fasthttp.StatusServiceUnavailable, why)
			return
		}
		writeText(ctx, fasthttp.StatusOK, "ready")
	case string(path) == "/_cluster":
		p.serveCluster(ctx)
	case bytes.HasPrefix(path, []byte("/_cluster/")):
		serveClusterFile(ctx)
	case string(path) == "/_purge":
		p.servePurge(ctx)
	case bytes.HasPrefix(path, []byte("/debug/pprof")):
		p.servePprof(ctx)
	default:
		writeText(ctx, fasthttp.StatusNotFound, "not found")
	}
}

// peerAuthorized answers 401 unless the request carries the cluster secret.
func (p *port) peerAuthorized(ctx *fasthttp.RequestCtx) bool {
	if !peer.Authorized(&ctx.Request.Header, p.cfg.ClusterSecret) {
		writeText(ctx, fasthttp.StatusUnauthorized, "unauthorized")
		return false
	}
	return true
}

// serveCluster answers /_cluster: the live page for browsers (Accept:
// text/html, or ?format=html), otherwise JSON: the node's status, or with
// ?scope=cluster every member's.
func (p *port) serveCluster(ctx *fasthttp.RequestCtx) {
	if string(ctx.QueryArgs().Peek("format")) == "html" ||
		bytes.Contains(ctx.Request.Header.Peek(fasthttp.HeaderAccept), []byte("text/html")) {
		serveClusterFile(ctx)
		return
	}
	ctx.SetContentType("application/json")
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-store")
	ctx.SetBody(p.node.Status(string(ctx.QueryArgs().Peek("scope")) == "cluster"))
}

// servePurge handles POST /_purge (bearer purge token).
func (p *port) servePurge(ctx *fasthttp.RequestCtx) {
	if !ctx.IsPost() {
		writeText(ctx, fasthttp.StatusMethodNotAllowed, "POST only")
		return
	}
	if !bearerIs(&ctx.Request.Header, p.cfg.PurgeToken) {
		writeText(ctx, fasthttp.StatusUnauthorized, "unauthorized")
		return
	}
	if err := p.node.Purge(ctx.PostBody()); err != nil {
		writeText(ctx, fasthttp.StatusBadRequest, "bad purge body: "+err.Error())
		return
	}
	writeText(ctx, fasthttp.StatusOK, "purged")
}

// servePprof serves the Go profiler only when Config.Profiling is on and
// only to holders of the cluster secret: /debug/pprof/cmdline shows the
// process's command line, and profiles show memory that may hold secrets.
func (p *port) servePprof(ctx *fasthttp.RequestCtx) {
	if !p.cfg.Profiling {
		writeText(ctx, fasthttp.StatusNotFound, "not found")
		return
	}
	if p.peerAuthorized(ctx) {
		pprofhandler.PprofHandler(ctx)
	}
}

// bearerIs reports whether the request's bearer token is token (never for
// an empty token), in constant time.
func bearerIs(h *fasthttp.RequestHeader, token string) bool {
	if token == "" {
		return false
	}
	return subtle.ConstantTimeCompare(h.Peek(fasthttp.HeaderAuthorization), []byte("Bearer "+token)) == 1
}

// plainCSP keeps the port's plain-text answers from running anything.
const plainCSP = "default-src 'none'; sandbox"

// writeText answers with a short plain-text message.
func writeText(ctx *fasthttp.RequestCtx, code int, msg string) {
	ctx.SetStatusCode(code)
	h := &ctx.Response.Header
	h.Set(fasthttp.HeaderCacheControl, "no-store")
	h.SetContentType("text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", plainCSP)
	ctx.Response.SetBodyString(msg + "\n")
}

// The live cluster page is three static files (clusterpage/), its own
// small script without third-party code, polling /_cluster?scope=cluster.
//
//go:embed clusterpage
var clusterPageFiles embed.FS

// ClusterPageCSP lets the page run its own script, load its own style and
// fetch its own node's JSON, and nothing else.
const ClusterPageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// clusterFiles maps the page's paths to their file and content type.
var clusterFiles = map[string]struct{ file, contentType string }{
	"/_cluster":             {"index.html", "text/html; charset=utf-8"},
	"/_cluster/cluster.js":  {"cluster.js", "text/javascript; charset=utf-8"},
	"/_cluster/cluster.css": {"cluster.css", "text/css; charset=utf-8"},
}

// serveClusterFile answers a file of the cluster page, with its CSP; a
// path that is no file of the page is 404.
func serveClusterFile(ctx *fasthttp.RequestCtx) {
	a, ok := clusterFiles[string(ctx.Path())]
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
	h.Set("Content-Security-Policy", ClusterPageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	ctx.SetBody(b)
}
