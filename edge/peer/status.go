package peer

import (
	"context"
	"fmt"

	"github.com/valyala/fasthttp"
)

// PathStatus is a node's own status on its internal port (the JSON of
// GET /_cluster, without ?scope).
const PathStatus = "/_cluster"

// maxStatusBytes bounds a peer's status JSON.
const maxStatusBytes = 1 << 20

// FetchStatus returns the status JSON of the peer at addr (PathStatus),
// asked with the cluster secret like every peer request. The returned
// slice is owned by the caller.
func (c *Client) FetchStatus(ctx context.Context, addr string) ([]byte, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(PathStatus)
	req.Header.Set(fasthttp.HeaderAccept, "application/json")
	if err := c.do(ctx, addr, req, resp); err != nil {
		return nil, err
	}
	if code := resp.StatusCode(); code != fasthttp.StatusOK {
		return nil, fmt.Errorf("%w: %s answered %d", ErrPeer, addr, code)
	}
	if len(resp.Body()) > maxStatusBytes {
		return nil, fmt.Errorf("%w: %s: status larger than %d bytes", ErrPeer, addr, maxStatusBytes)
	}
	return append([]byte(nil), resp.Body()...), nil
}
