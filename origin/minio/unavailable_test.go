package minio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"

	mc "github.com/minio/minio-go/v7"
)

func TestUnavailable(t *testing.T) {
	refused := &url.Error{Op: "Put", URL: "http://127.0.0.1:9/b/k", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", refused, true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"cut mid-body", io.ErrUnexpectedEOF, true},
		{"503", mc.ErrorResponse{StatusCode: 503, Code: "XMinioServerNotInitialized"}, true},
		{"slow down", mc.ErrorResponse{StatusCode: 503, Code: "SlowDown"}, true},
		{"internal error", mc.ErrorResponse{StatusCode: 500, Code: "InternalError"}, true},
		{"timeout", context.DeadlineExceeded, true},
		{"no such key", mc.ErrorResponse{StatusCode: 404, Code: "NoSuchKey"}, false},
		{"access denied", mc.ErrorResponse{StatusCode: 403, Code: "AccessDenied"}, false},
		{"caller went away", fmt.Errorf("%w: %w", context.Canceled, refused), false},
		{"plain error", errors.New("boom"), false},
	} {
		if got := unavailable(c.err); got != c.want {
			t.Errorf("%s: unavailable(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
