package localserver

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// ProbeHTTP GETs url once and returns nil when it answers 2xx.
func ProbeHTTP(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

// WaitHTTP polls url every 100 ms until it answers 2xx, or fails once
// timeout has passed or ctx ends.
func WaitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := ProbeHTTP(ctx, url); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer in %s", url, timeout)
		case <-tick.C:
		}
	}
}
