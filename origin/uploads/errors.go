package uploads

import (
	"errors"
	"net/http"

	"github.com/tus/tusd/v2/pkg/handler"
)

// statusChecksumMismatch is tus's status for a body whose digest differs
// from its Upload-Checksum.
const statusChecksumMismatch = 460

// Protocol errors as tusd sends them (status, code and message).
var (
	errChecksumMismatch = handler.NewError("ERR_CHECKSUM_MISMATCH",
		"the body does not match Upload-Checksum; the chunk was discarded", statusChecksumMismatch)
	errExpired  = handler.NewError("ERR_UPLOAD_EXPIRED", "upload expired", http.StatusGone)
	errNoTenant = errors.New("uploads: request has no tenant (not served by uploads.Handler)")
)

// ingestError turns a failed ingestion into the response the client gets;
// only a status below 500 tells the cause, the rest stays in the log,
// except that a store outage is a 503 naming the store.
func ingestError(status int, err error) error {
	if status == http.StatusServiceUnavailable {
		if e := tusError(err); e != err {
			return e
		}
	}
	if status >= 500 {
		return handler.NewError("ERR_INGEST_FAILED", "the upload could not be stored; try again", status)
	}
	return handler.NewError("ERR_INGEST_REFUSED", err.Error(), status)
}
