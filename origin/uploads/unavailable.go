package uploads

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"

	"pixcdn/origin"
)

// drainTime bounds how long the rest of a refused request's body is read
// before the answer.
const drainTime = 10 * time.Second

// unavailableError is a store outage as tusd answers it: 503 with
// Retry-After and a short message naming the store. It still matches its
// cause (errors.Is).
type unavailableError struct {
	tus   handler.Error
	cause error
}

func (e unavailableError) Error() string   { return e.cause.Error() }
func (e unavailableError) Unwrap() []error { return []error{e.tus, e.cause} }

// tusError turns an error meaning a store is out (origin.ErrUnavailable,
// which the adapters wrap) into tusd's 503; other errors, and errors tusd
// already knows how to answer, are returned as they are.
func tusError(err error) error {
	var known handler.Error
	if err == nil || errors.As(err, &known) {
		return err
	}
	cause := origin.UnavailableCause(err)
	if cause == "" {
		return err
	}
	e := handler.NewError("ERR_UNAVAILABLE", cause+"; retry later", http.StatusServiceUnavailable)
	e.HTTPResponse.Header["Retry-After"] = strconv.Itoa(int(origin.RetryAfter / time.Second))
	return unavailableError{tus: e, cause: err}
}

// trackedBody is a request body that records whether it was read. It
// belongs to one request.
type trackedBody struct {
	io.ReadCloser
	read bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	b.read = true
	return b.ReadCloser.Read(p)
}

// drainRefused reads and discards what is left of a refused request's
// body, up to limit bytes and drainTime, so a client still sending it
// reads the answer instead of a reset connection. It reports whether the
// body was read to its end. A client that sent "Expect: 100-continue" and
// was never asked for the body has sent none: nothing is read, and false
// is returned (the connection is not reused).
func drainRefused(w http.ResponseWriter, r *http.Request, body *trackedBody, limit int64) bool {
	if strings.EqualFold(r.Header.Get("Expect"), "100-continue") && !body.read {
		return false
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(drainTime)) == nil {
		defer rc.SetReadDeadline(time.Time{})
	}
	n, err := io.CopyN(io.Discard, body, limit+1)
	return n <= limit && errors.Is(err, io.EOF)
}
