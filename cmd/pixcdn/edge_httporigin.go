package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"pixcdn/contract"
	"pixcdn/edge"
	"pixcdn/origin/client"
)

// httpOrigin adapts origin/client to the edge's Origin and EventSource,
// translating its errors into the edge's sentinels.
type httpOrigin struct{ c *client.Client }

func newHTTPOrigin(s *edgeSettings) (*httpOrigin, error) {
	cfg := client.DefaultConfig()
	cfg.BaseURL, cfg.Key, cfg.Timeout, cfg.MaxBytes = s.Origin, s.OriginKey, s.OriginTimeout, int64(s.MaxOriginal)
	if s.enabled() {
		cfg.HTTPClient = &http.Client{Transport: tracedClientTransport(client.DefaultTransport())}
	}
	c, err := client.New(cfg)
	if err != nil {
		return nil, err
	}
	return &httpOrigin{c: c}, nil
}

func (o *httpOrigin) Fetch(ctx context.Context, tenant, publicID, ifNoneMatch string) (edge.Original, error) {
	r, err := o.c.FetchOriginal(ctx, tenant, publicID, ifNoneMatch)
	if err != nil {
		return edge.Original{}, originError(err)
	}
	return r, nil
}

func (o *httpOrigin) Events(ctx context.Context, after int64, wait time.Duration) ([]edge.Event, error) {
	evs, err := o.c.Events(ctx, after, wait)
	if err != nil {
		return nil, originError(err)
	}
	return evs, nil
}

// originError maps origin/client errors to edge sentinels. An origin that
// rejects the edge's key is an origin error (502) for the client: its own
// request was fine. Any other 4xx but 408 and 429 refuses the request
// itself (the id): the client's mistake, never retried and never counted
// against the origin (edge/guarded retries ErrOrigin and ErrOriginTimeout
// only).
func originError(err error) error {
	var netErr net.Error
	var status *client.StatusError
	switch {
	case errors.As(err, &status) && status.Code == http.StatusRequestEntityTooLarge:
		return fmt.Errorf("%w: %w", edge.ErrSourceTooLarge, err)
	case errors.As(err, &status) && status.Code >= 400 && status.Code < 500 &&
		status.Code != http.StatusRequestTimeout && status.Code != http.StatusTooManyRequests:
		return fmt.Errorf("%w: %w", contract.ErrInvalidID, err)
	case errors.Is(err, client.ErrNotFound):
		return fmt.Errorf("%w: %w", edge.ErrNotFound, err)
	case errors.Is(err, client.ErrTooLarge):
		return fmt.Errorf("%w: %w", edge.ErrSourceTooLarge, err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Errorf("%w: %w", edge.ErrOriginTimeout, err)
	case errors.Is(err, context.Canceled):
		return err
	}
	return fmt.Errorf("%w: %w", edge.ErrOrigin, err)
}
