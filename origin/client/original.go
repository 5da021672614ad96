package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"pixcdn/contract"
)

// FetchOriginal GETs tenant's original publicID. With ifNoneMatch set
// (a quoted ETag) an unchanged original answers NotModified with headers
// and no body. Errors: ErrNotFound, ErrUnauthorized, ErrTooLarge (the body
// exceeded Config.MaxBytes), *StatusError. Blocks up to Config.Timeout.
func (c *Client) FetchOriginal(ctx context.Context, tenant, publicID, ifNoneMatch string) (contract.Original, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/"+escapePath(tenant)+"/originals/"+escapePath(publicID))
	if err != nil {
		return contract.Original{}, err
	}
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return contract.Original{}, fmt.Errorf("origin: fetch %s/%s: %w", tenant, publicID, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		o := originalFrom(resp.Header)
		o.NotModified = true
		return o, nil
	default:
		return contract.Original{}, statusErr(resp)
	}
	if resp.ContentLength > c.cfg.MaxBytes {
		return contract.Original{}, ErrTooLarge
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

func originalFrom(h http.Header) contract.Original {
	o := contract.Original{
		ETag:         h.Get("ETag"),
		ContentType:  h.Get("Content-Type"),
		CacheControl: h.Get("Cache-Control"),
		Visibility:   h.Get(contract.HeaderVisibility),
	}
	o.LastModified, _ = http.ParseTime(h.Get("Last-Modified"))
	o.Version, _ = strconv.ParseInt(h.Get(contract.HeaderVersion), 10, 64)
	o.Tags = contract.SplitTags(h.Get(contract.HeaderTags))
	return o
}
