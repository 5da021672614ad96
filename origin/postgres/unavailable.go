package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"pixcdn/origin"
)

// classify wraps err with origin.ErrCatalogUnavailable when it is an
// outage of PostgreSQL (see unavailable); any other error, and one that
// already names an outage (a blob store's, from a callback), is returned
// as it is.
func classify(err error) error {
	if err == nil || errors.Is(err, origin.ErrUnavailable) || !unavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", origin.ErrCatalogUnavailable, err)
}

// unavailable reports whether err means PostgreSQL cannot be reached or is
// not serving, so the same request may succeed later: the server refused
// or dropped the connection, is shutting down, starting up or out of
// connection slots, a statement or the connection timed out, or the
// connection broke mid-query. Errors of a query itself (constraint
// violations, bad SQL, wrong credentials) are not outages, nor is a
// request whose caller went away (context.Canceled).
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return unavailableState(pgErr.Code)
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// unavailableState reports whether a SQLSTATE means the server is not
// serving: class 08 (connection exception), 57P01 admin_shutdown, 57P02
// crash_shutdown, 57P03 cannot_connect_now, 57014 query_canceled (the
// statement timeout), 53300 too_many_connections.
func unavailableState(code string) bool {
	switch code {
	case "57P01", "57P02", "57P03", "57014", "53300":
		return true
	}
	return strings.HasPrefix(code, "08")
}
