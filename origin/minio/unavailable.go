package minio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"

	mc "github.com/minio/minio-go/v7"

	"pixcdn/origin"
)

// unavailable reports whether err means MinIO cannot be reached or is not
// serving, so the same request may succeed later: the network or host is
// down (minio-go's own test, which covers refused connections and
// timeouts), the connection was reset or cut mid-request, or the server
// answered with a server error (500, 502, 503 or 504: starting up,
// shutting down, overloaded, failing), the statuses minio-go itself
// retries. A request whose caller went away (context.Canceled) is not an
// outage.
func unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if mc.IsNetworkOrHostDown(err, false) {
		return true
	}
	switch mc.ToErrorResponse(err).Code {
	case "ServiceUnavailable", "SlowDown", "SlowDownWrite", "SlowDownRead", "XMinioServerNotInitialized":
		return true
	}
	switch mc.ToErrorResponse(err).StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, io.ErrUnexpectedEOF)
}

// outage returns err wrapping origin.ErrBlobsUnavailable when it is an
// outage of client's endpoint (or the client's health check has marked
// the endpoint offline), and err itself otherwise.
func outage(client *mc.Client, err error) error {
	if err == nil || errors.Is(err, origin.ErrUnavailable) {
		return err
	}
	if client.IsOffline() || unavailable(err) {
		return fmt.Errorf("%w: %w", origin.ErrBlobsUnavailable, err)
	}
	return err
}

// outageReader maps the read errors of a lazily fetched object with
// outage.
type outageReader struct {
	io.ReadCloser
	client *mc.Client
}

func (r outageReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = outage(r.client, err)
	}
	return n, err
}
