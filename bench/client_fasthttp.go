package bench

import (
	"context"
	"crypto/tls"

	"github.com/valyala/fasthttp"
)

// fastClient drives targets with one fasthttp.HostClient each.
type fastClient struct {
	hosts   []*fasthttp.HostClient
	targets []Target
	cfg     Config
}

func newFastClient(cfg Config, targets []Target) *fastClient {
	c := &fastClient{targets: targets, cfg: cfg}
	for _, t := range targets {
		c.hosts = append(c.hosts, &fasthttp.HostClient{
			Addr:                   t.Host,
			Name:                   userAgent,
			IsTLS:                  t.Scheme == "https",
			TLSConfig:              &tls.Config{InsecureSkipVerify: cfg.Insecure}, //nolint:gosec // opt-in for self-signed test edges
			MaxConns:               cfg.Connections,
			ReadTimeout:            cfg.Timeout,
			WriteTimeout:           cfg.Timeout,
			MaxResponseBodySize:    int(cfg.MaxBodyBytes),
			RetryIfErr:             retryStaleConn,
			DisablePathNormalizing: true, // send trace paths exactly as written
		})
	}
	return c
}

const userAgent = "pixcdn-bench"

// retryStaleConn retries a request once when its connection was closed
// under it (a keep-alive connection the server had just closed), as
// browsers and net/http do. fasthttp's default would retry any error of an
// idempotent request up to five times, hiding server failures from the
// report; here every other failure counts as an error.
func retryStaleConn(_ *fasthttp.Request, attempts int, err error) (resetTimeout, retry bool) {
	return false, attempts == 1 && errorKind(err) == ErrKindReset
}

func (c *fastClient) newWorker() worker {
	return &fastWorker{c: c, req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse()}
}

func (c *fastClient) Close() {
	for _, h := range c.hosts {
		h.CloseIdleConnections()
	}
}

// fastWorker reuses one request and response; not safe for concurrent use.
type fastWorker struct {
	c    *fastClient
	req  *fasthttp.Request
	resp *fasthttp.Response
}

func (w *fastWorker) do(_ context.Context, c call) outcome {
	req, resp := w.req, w.resp
	req.Reset()
	resp.Reset()
	req.Header.SetMethod(c.method)
	req.SetRequestURI(c.req.Path)
	req.Header.SetHost(w.c.targets[c.target].Header)
	for _, h := range c.req.Header {
		req.Header.Set(h.Name, h.Value)
	}
	if c.ifNoneMatch != "" {
		req.Header.Set("If-None-Match", c.ifNoneMatch)
	}
	if err := w.c.hosts[c.target].DoTimeout(req, resp, w.c.cfg.Timeout); err != nil {
		return outcome{err: err}
	}
	out := outcome{status: resp.StatusCode(), bytes: int64(len(resp.Body()))}
	if v := resp.Header.Peek("X-Cache"); len(v) > 0 {
		out.cache = cacheKind(v)
	}
	if c.wantETag {
		out.etag = string(resp.Header.Peek("ETag"))
	}
	return out
}
