package tusclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// StatusError is an unexpected HTTP status from the server.
type StatusError struct {
	Method string
	Code   int
	Body   string // at most 1 KiB of the response body
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("tus: %s answered %d: %s", e.Method, e.Code, strings.TrimSpace(e.Body))
}

// Temporary reports whether retrying may help: 5xx, 408, 409 (offset moved),
// 423 (locked), 429 and 460 (checksum mismatch: the chunk was damaged on
// the way and discarded).
func (e *StatusError) Temporary() bool {
	switch e.Code {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusLocked, http.StatusTooManyRequests, 460:
		return true
	}
	return e.Code >= 500
}

// ErrProtocol reports a response that breaks the tus protocol.
var ErrProtocol = errors.New("tus: protocol violation")

// Client talks tus 1.0 to one server with one Bearer key. Safe for
// concurrent use.
type Client struct {
	HTTP *http.Client // nil: http.DefaultClient
	Key  string       // Bearer key; "" sends none
}

func (c *Client) do(req *http.Request, want ...int) (*http.Response, error) {
	req.Header.Set("Tus-Resumable", "1.0.0")
	if c.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	for _, code := range want {
		if resp.StatusCode == code {
			return resp, nil
		}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return nil, &StatusError{Method: req.Method, Code: resp.StatusCode, Body: string(body)}
}

// Create makes an upload of size bytes at endpoint and returns its
// absolute URL.
func (c *Client) Create(ctx context.Context, endpoint string, size int64, meta map[string]string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
	if len(meta) > 0 {
		req.Header.Set("Upload-Metadata", EncodeMetadata(meta))
	}
	resp, err := c.do(req, http.StatusCreated)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	loc, err := req.URL.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return "", fmt.Errorf("%w: creation without a usable Location", ErrProtocol)
	}
	return loc.String(), nil
}

// Offset returns how many bytes of the upload the server holds, and the
// upload's length.
func (c *Client) Offset(ctx context.Context, uploadURL string) (offset, length int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, uploadURL, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := c.do(req, http.StatusOK, http.StatusNoContent)
	if err != nil {
		return 0, 0, err
	}
	resp.Body.Close()
	offset, err = headerInt(resp, "Upload-Offset")
	if err != nil {
		return 0, 0, err
	}
	length, err = headerInt(resp, "Upload-Length")
	return offset, length, err
}

// Patch sends chunk at offset with its sha256 in Upload-Checksum and
// returns the new offset and the response headers (ETag and
// Pixcdn-Version once the upload completed). chunk is only read.
func (c *Client) Patch(ctx context.Context, uploadURL string, offset int64, chunk []byte) (int64, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, uploadURL, bytes.NewReader(chunk))
	if err != nil {
		return 0, nil, err
	}
	sum := sha256.Sum256(chunk)
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	req.Header.Set("Upload-Checksum", "sha256 "+base64.StdEncoding.EncodeToString(sum[:]))
	resp, err := c.do(req, http.StatusNoContent)
	if err != nil {
		return 0, nil, err
	}
	resp.Body.Close()
	next, err := headerInt(resp, "Upload-Offset")
	return next, resp.Header, err
}

// Terminate deletes the upload on the server.
func (c *Client) Terminate(ctx context.Context, uploadURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, uploadURL, nil)
	if err != nil {
		return err
	}
	resp, err := c.do(req, http.StatusNoContent)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func headerInt(resp *http.Response, name string) (int64, error) {
	v, err := strconv.ParseInt(resp.Header.Get(name), 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%w: bad %s %q", ErrProtocol, name, resp.Header.Get(name))
	}
	return v, nil
}

// EncodeMetadata renders an Upload-Metadata header: key, space, base64
// value, comma-separated, keys sorted. Keys tus cannot carry (empty, or
// with characters other than printable ASCII except space and comma) are
// left out.
func EncodeMetadata(meta map[string]string) string {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if ValidMetadataKey(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + base64.StdEncoding.EncodeToString([]byte(meta[k]))
	}
	return strings.Join(parts, ",")
}

// Endpoint returns the uploads URL of tenant on the origin at base.
func Endpoint(base, tenant string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(base, "/") + "/v1/" + url.PathEscape(tenant) + "/uploads/")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("tus: bad origin URL %q", base)
	}
	return u.String(), nil
}

// ValidMetadataKey reports whether tus can carry k as an Upload-Metadata
// key: non-empty printable ASCII without spaces and commas.
func ValidMetadataKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c > '~' || c == ',' {
			return false
		}
	}
	return true
}
