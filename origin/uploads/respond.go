package uploads

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"pixcdn/contract"
)

// extensions are the tus extensions pixcdn offers; tusd itself knows only
// those it implements, the checksum and expiration ones are this package's.
const extensions = "creation,creation-with-upload,termination,checksum,expiration"

// exposed are headers browsers may read on cross-origin responses, beyond
// tusd's own list.
const exposed = "Upload-Expires, Tus-Checksum-Algorithm, ETag, Pixcdn-Version"

// internalBody replaces tusd's text of a 500, which quotes the underlying
// error (tusd logs that text; the client learns nothing internal).
const internalBody = "ERR_INTERNAL_SERVER_ERROR: the upload could not be stored; resume it later\n"

// responseWriter adds pixcdn's headers when tusd sends its status: the
// tenant's Location, the extensions, Upload-Expires and the ingested
// image's ETag and version. Before a 503 (a store outage) it reads what is
// left of the request body, so the client reads the answer. It lives for
// one request.
type responseWriter struct {
	http.ResponseWriter
	x          *exchange
	tenant     string
	id         string
	req        *http.Request
	body       *trackedBody // the request's body
	drainLimit int64        // most bytes of body read before a 503
	written    bool
	hideBody   bool // a 500: send internalBody instead of tusd's
	hidden     bool // internalBody was sent
}

func (w *responseWriter) WriteHeader(code int) {
	if !w.written {
		w.written = true
		w.decorate(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	if w.hideBody {
		if !w.hidden {
			w.hidden = true
			if _, err := io.WriteString(w.ResponseWriter, internalBody); err != nil {
				return 0, err
			}
		}
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController (tusd's deadlines) reach the server.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) decorate(code int) {
	h := w.Header()
	if code == http.StatusServiceUnavailable && w.body != nil &&
		!drainRefused(w.ResponseWriter, w.req, w.body, w.drainLimit) {
		h.Set("Connection", "close")
	}
	if code == http.StatusInternalServerError && w.x.method != http.MethodHead {
		w.hideBody = true
		h.Set("Content-Length", strconv.Itoa(len(internalBody)))
	}
	if h.Get("Tus-Extension") != "" {
		h.Set("Tus-Extension", extensions)
		h.Set("Tus-Checksum-Algorithm", checksumAlgorithmList)
	}
	if loc := h.Get("Location"); loc != "" {
		h.Set("Location", w.location(loc))
	}
	if h.Get("Access-Control-Expose-Headers") != "" {
		h.Set("Access-Control-Expose-Headers", h.Get("Access-Control-Expose-Headers")+", "+exposed)
	}
	expires, ingested := w.x.snapshot()
	if !expires.IsZero() && code < 300 {
		h.Set("Upload-Expires", expires.UTC().Format(http.TimeFormat))
	}
	if ingested != nil && code < 300 {
		h.Set("ETag", ingested.ETag)
		h.Set(contract.HeaderVersion, strconv.FormatInt(ingested.Version, 10))
	}
}

// location turns tusd's /uploads/{id} URL into the tenant's own.
func (w *responseWriter) location(loc string) string {
	id := loc[strings.LastIndex(loc, "/")+1:]
	u, err := url.Parse(loc)
	if err != nil {
		u = &url.URL{}
	}
	u.Path = pathPrefix + url.PathEscape(w.tenant) + "/uploads/" + id
	u.RawPath = ""
	return u.String()
}
