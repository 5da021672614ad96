package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Original is an image's bytes and the headers the edge needs.
type Original struct {
	Body         []byte // nil when NotModified; owned by the caller
	ETag         string // strong, quoted
	ContentType  string
	CacheControl string
	Visibility   string // public or signed
	LastModified time.Time
	Version      int64
	Tags         []string
	NotModified  bool // the ifNoneMatch ETag is still current
}

// FetchOriginal GETs tenant's original publicID. With ifNoneMatch set
// (a quoted ETag) an unchanged original answers NotModified with headers
// and no body. Errors: ErrNotFound, ErrUnauthorized, ErrTooLarge (the body
// exceeded Config.MaxBytes), *StatusError. Blocks up to Config.Timeout.
func (c *Client) FetchOriginal(ctx context.Context, tenant, publicID, ifNoneMatch string) (Original, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/"+escapePath(tenant)+"/originals/"+escapePath(publicID))
	if err != nil {
		return Original{}, err
	}
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Original{}, fmt.Errorf("origin: fetch %s/%s: %w", tenant, publicID, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		o := originalFrom(resp.Header)
		o.NotModified = true
		return o, nil
	default:
		return Original{}, statusErr(resp)
	}
	if resp.ContentLength > c.cfg.MaxBytes {
		return Original{}, ErrTooLarge
	}
	o := originalFrom(resp.Header)
	o.Body, err = readCapped(resp.Body, resp.ContentLength, c.cfg.MaxBytes)
	return o, err
}

// readCapped reads r whole, failing with ErrTooLarge past limit bytes.
// A known length sizes the buffer once.
func readCapped(r io.Reader, length, limit int64) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, min(max(length, 0), limit)+bytes.MinRead))
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("origin: read original: %w", err)
	}
	if n > limit {
		return nil, ErrTooLarge
	}
	return buf.Bytes(), nil
}

func originalFrom(h http.Header) Original {
	o := Original{
		ETag:         h.Get("ETag"),
		ContentType:  h.Get("Content-Type"),
		CacheControl: h.Get("Cache-Control"),
		Visibility:   h.Get("Pixcdn-Visibility"),
	}
	o.LastModified, _ = http.ParseTime(h.Get("Last-Modified"))
	o.Version, _ = strconv.ParseInt(h.Get("Pixcdn-Version"), 10, 64)
	if t := h.Get("Pixcdn-Tags"); t != "" {
		o.Tags = strings.Split(t, ",")
	}
	return o
}
