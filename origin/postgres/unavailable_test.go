package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"pixcdn/origin"
)

func TestClassifyOutages(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", refused, true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"connection exception", &pgconn.PgError{Code: "08006"}, true},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, true},
		{"connection cut mid-query", fmt.Errorf("failed to receive message: %w", io.ErrUnexpectedEOF), true},
		{"closed connection", fmt.Errorf("tx: %w", pgconn.ErrConnClosed), true},
		{"deadline", context.DeadlineExceeded, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"bad password", &pgconn.PgError{Code: "28P01"}, false},
		{"caller went away", fmt.Errorf("%w: %w", context.Canceled, refused), false},
		{"plain error", errors.New("boom"), false},
	} {
		err := classify(c.err)
		if got := errors.Is(err, origin.ErrCatalogUnavailable); got != c.want {
			t.Errorf("%s: classify(%v) catalog unavailable = %v, want %v", c.name, c.err, got, c.want)
		}
		if !errors.Is(err, c.err) {
			t.Errorf("%s: classify lost the cause", c.name)
		}
	}
	blobs := fmt.Errorf("put: %w: %w", origin.ErrBlobsUnavailable, refused)
	if err := classify(blobs); errors.Is(err, origin.ErrCatalogUnavailable) {
		t.Errorf("a blob store outage from a callback became a catalog outage: %v", err)
	}
}
