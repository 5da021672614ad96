package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"pixcdn/contract"
)

// Events long-polls GET /v1/events: it returns the events with Seq >
// after, in order, waiting up to wait for the first one; an empty slice
// means none arrived in time. Needs a key with role edge. Blocks up to
// wait + Config.Timeout. The slice is the caller's.
func (c *Client) Events(ctx context.Context, after int64, wait time.Duration) ([]contract.Event, error) {
	ctx, cancel := context.WithTimeout(ctx, wait+c.cfg.Timeout)
	defer cancel()
	path := "/v1/events?after=" + strconv.FormatInt(after, 10) + "&wait=" + wait.String()
	req, err := c.newRequest(ctx, http.MethodGet, path)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("origin: events: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, statusErr(resp)
	}
	var body struct {
		Events []contract.Event `json:"events"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("origin: events: decode: %w", err)
	}
	return body.Events, nil
}
