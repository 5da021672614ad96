package origin

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// drainTime bounds how long a refused upload's body is read before the
// answer; drainSlack is what a body may carry beyond MaxUploadBytes
// (multipart framing).
const (
	drainTime  = 10 * time.Second
	drainSlack = 1 << 20
)

// uploadBody is a request body that records whether the handler read it.
// It belongs to one request.
type uploadBody struct {
	io.ReadCloser
	read bool
}

func (b *uploadBody) Read(p []byte) (int, error) {
	b.read = true
	return b.ReadCloser.Read(p)
}

// trackBody replaces r.Body with an uploadBody and returns it. Call
// untrack before answering.
func trackBody(r *http.Request) *uploadBody {
	b := &uploadBody{ReadCloser: r.Body}
	r.Body = b
	return b
}

// untrack gives r its own body back. net/http looks at the body's type
// when it writes the answer: a client waiting for 100 Continue that was
// never asked for the body must be seen as such, or the server waits for
// body bytes the client is not sending.
func (b *uploadBody) untrack(r *http.Request) { r.Body = b.ReadCloser }

// refuseUpload answers an upload with err. A client is usually still
// sending the body when the upload is refused; closing the connection on
// it would reset the connection before the client reads the answer. So
// what is left of the body is read and discarded first, up to
// MaxUploadBytes plus drainSlack and for at most drainTime; past either
// bound, or for ErrTooLarge, the connection closes after the answer. A
// client that sent "Expect: 100-continue" and was never asked for the body
// has sent none, so nothing is read (net/http closes that connection).
func (s *Service) refuseUpload(w http.ResponseWriter, r *http.Request, body *uploadBody, err error) {
	body.untrack(r)
	expecting := strings.EqualFold(r.Header.Get("Expect"), "100-continue") && !body.read
	switch {
	case expecting:
	case errors.Is(err, ErrTooLarge):
		w.Header().Set("Connection", "close")
	default:
		if !drain(w, body, s.cfg.MaxUploadBytes+drainSlack) {
			w.Header().Set("Connection", "close")
		}
	}
	writeError(w, err)
}

// drain discards r up to limit bytes within drainTime and reports whether
// it reached the end.
func drain(w http.ResponseWriter, r io.Reader, limit int64) bool {
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(drainTime)) == nil {
		defer rc.SetReadDeadline(time.Time{})
	}
	n, err := io.CopyN(io.Discard, r, limit+1)
	return n <= limit && errors.Is(err, io.EOF)
}
