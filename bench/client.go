package bench

import (
	"context"
	"errors"
	"fmt"
)

// Client names accepted by Config.Client.
const (
	ClientFastHTTP = "fasthttp"
	ClientNetHTTP  = "nethttp"
)

// outcome is what the engine records about one response.
type outcome struct {
	status int    // 0 on transport error
	cache  string // X-Cache header as received ("" when absent)
	etag   string // ETag header; copied only when wantETag was set
	bytes  int64  // body bytes read
	err    error
}

// call is one request for a worker to send.
type call struct {
	target      int // index into the client's targets
	req         *Request
	method      string
	ifNoneMatch string // "" for an unconditional request
	wantETag    bool   // copy the response ETag into outcome.etag
}

// worker sends one request at a time; each engine worker owns one.
type worker interface {
	do(ctx context.Context, c call) outcome
}

// client is the HTTP stack the engine drives; it is safe for concurrent
// use, and Close releases idle connections.
type client interface {
	newWorker() worker
	Close()
}

var errUnknownClient = errors.New("bench: unknown client")

func newClient(cfg Config, targets []Target) (client, error) {
	switch cfg.Client {
	case ClientFastHTTP:
		return newFastClient(cfg, targets), nil
	case ClientNetHTTP:
		return newNetClient(cfg, targets), nil
	}
	return nil, fmt.Errorf("%w %q: want %s or %s", errUnknownClient, cfg.Client, ClientFastHTTP, ClientNetHTTP)
}
