package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Sentinel errors; other failures are *StatusError or transport errors.
var (
	ErrNotFound     = errors.New("origin: not found")
	ErrUnauthorized = errors.New("origin: key rejected")
	ErrTooLarge     = errors.New("origin: original exceeds the byte cap")
)

// StatusError is an unexpected HTTP status from the origin.
type StatusError struct {
	Code int
	Body string // first bytes of the body
}

func (e *StatusError) Error() string { return fmt.Sprintf("origin: status %d: %s", e.Code, e.Body) }

// Config says how to reach the origin.
type Config struct {
	// BaseURL of the origin API, e.g. http://origin:8080. Required.
	BaseURL string
	// Key is the Bearer API key (role edge, or any role of the tenant).
	Key string
	// Timeout bounds one FetchOriginal, and an Events call beyond its
	// wait (default 10s).
	Timeout time.Duration
	// MaxBytes caps an original's body while reading (bytes; default 64 MiB).
	MaxBytes int64
	// HTTPClient sends the requests (default: a client over
	// DefaultTransport).
	HTTPClient *http.Client
}

// DefaultConfig returns the defaults documented on Config (no BaseURL).
func DefaultConfig() Config { return Config{Timeout: 10 * time.Second, MaxBytes: 64 << 20} }

// Validate reports the first invalid field.
func (c Config) Validate() error {
	u, err := url.Parse(c.BaseURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("origin client: BaseURL %q is not an http(s) URL", c.BaseURL)
	case c.Timeout <= 0:
		return errors.New("origin client: Timeout must be positive")
	case c.MaxBytes <= 0:
		return errors.New("origin client: MaxBytes must be positive")
	}
	return nil
}

// Client talks to one origin. Safe for concurrent use.
type Client struct {
	cfg  Config
	base string
	http *http.Client
}

// New returns a Client.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: DefaultTransport()}
	}
	return &Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), http: hc}, nil
}

// DefaultTransport returns a new transport as a Client uses by default:
// keep-alives and up to 64 idle connections to the origin.
func DefaultTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return tr
}

func (c *Client) newRequest(ctx context.Context, method, path string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	if c.cfg.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Key)
	}
	return req, nil
}

// statusErr maps a non-success response to a sentinel or *StatusError.
func statusErr(resp *http.Response) error {
	switch resp.StatusCode {
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%w (status %d)", ErrUnauthorized, resp.StatusCode)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	return &StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(b))}
}

// escapePath escapes each segment of a public id, keeping its slashes.
func escapePath(id string) string {
	segs := strings.Split(id, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
