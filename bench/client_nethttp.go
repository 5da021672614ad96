package bench

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
)

// netClient drives targets with one net/http Transport.
type netClient struct {
	hc      *http.Client
	tr      *http.Transport
	targets []Target
	cfg     Config
}

func newNetClient(cfg Config, targets []Target) *netClient {
	tr := &http.Transport{
		MaxIdleConns:        cfg.Connections * len(targets),
		MaxIdleConnsPerHost: cfg.Connections,
		MaxConnsPerHost:     cfg.Connections,
		DisableCompression:  true,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: cfg.Insecure}, //nolint:gosec // opt-in for self-signed test edges
	}
	return &netClient{
		hc:      &http.Client{Transport: tr, Timeout: cfg.Timeout, CheckRedirect: noRedirects},
		tr:      tr,
		targets: targets,
		cfg:     cfg,
	}
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func (c *netClient) newWorker() worker { return &netWorker{c: c, buf: make([]byte, 32<<10)} }

func (c *netClient) Close() { c.tr.CloseIdleConnections() }

// netWorker owns a copy buffer; not safe for concurrent use.
type netWorker struct {
	c   *netClient
	buf []byte
}

func (w *netWorker) do(ctx context.Context, c call) outcome {
	// Requests outlive the run's deadline (up to Timeout) so in-flight
	// requests complete; only the caller's cancellation stops them.
	req, err := http.NewRequestWithContext(ctx, c.method, w.c.targets[c.target].URL+c.req.Path, nil)
	if err != nil {
		return outcome{err: err}
	}
	req.Header.Set("User-Agent", userAgent)
	for _, h := range c.req.Header {
		req.Header.Set(h.Name, h.Value)
	}
	if c.ifNoneMatch != "" {
		req.Header.Set("If-None-Match", c.ifNoneMatch)
	}
	resp, err := w.c.hc.Do(req)
	if err != nil {
		return outcome{err: err}
	}
	defer resp.Body.Close()
	n, err := io.CopyBuffer(io.Discard, io.LimitReader(resp.Body, w.c.cfg.MaxBodyBytes+1), w.buf)
	out := outcome{status: resp.StatusCode, bytes: n, err: err}
	if n > w.c.cfg.MaxBodyBytes {
		out.err = errBodyTooLarge
	}
	if v := resp.Header.Get("X-Cache"); v != "" {
		out.cache = cacheKind([]byte(v))
	}
	if c.wantETag {
		out.etag = resp.Header.Get("ETag")
	}
	return out
}
