package origin

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HandlerOptions are the parts of the HTTP API that live elsewhere.
type HandlerOptions struct {
	// Uploads serves /v1/{tenant}/uploads/ (tus). Requests reach it after
	// authentication as an admin or editor of the tenant (OPTIONS passes
	// unauthenticated), with the Principal in the request context
	// (PrincipalFrom) and the path unchanged. Nil: 404.
	Uploads http.Handler
	// Metrics serves /metrics (nil: the registry given to New, when it is
	// a Gatherer, else the default gatherer).
	Metrics http.Handler
	// SignURL signs edge URLs for POST /v1/{tenant}/sign (editors and
	// admins). Nil: that route answers 404, URL signing not configured.
	SignURL URLSigner
	// Console serves the web console under /console/ (it authenticates
	// nothing itself: its pages call this API with the user's key), and
	// GET / redirects there. Nil: 404.
	Console http.Handler
}

// Handler returns the origin's HTTP API (see ARCHITECTURE.md, "Origin
// API"). Safe for concurrent use.
func (s *Service) Handler(opts HandlerOptions) http.Handler {
	mux := http.NewServeMux()
	route := func(pattern, name string, h http.HandlerFunc) {
		mux.Handle(pattern, s.instrument(name, h))
	}
	route("PUT /v1/{tenant}/images/{id...}", "put_image", s.putImage)
	route("POST /v1/{tenant}/images", "post_image", s.postImage)
	route("GET /v1/{tenant}/images/{id...}", "get_image", s.getImage)
	route("PATCH /v1/{tenant}/images/{id...}", "patch_image", s.patchImage)
	route("DELETE /v1/{tenant}/images/{id...}", "delete_image", s.deleteImage)
	route("GET /v1/{tenant}/images", "list_images", s.listImages)
	route("GET /v1/{tenant}/originals/{id...}", "original", s.getOriginal)
	route("POST /v1/{tenant}/purge", "purge", s.purge)
	if opts.SignURL != nil {
		route("POST /v1/{tenant}/sign", "sign", s.signURLs(opts.SignURL))
	} else {
		route("POST /v1/{tenant}/sign", "sign", func(w http.ResponseWriter, _ *http.Request) {
			writeText(w, http.StatusNotFound, "URL signing is not configured on this origin (pixcdn origin --sign-key)")
		})
	}
	route("POST /v1/tenants", "create_tenant", s.createTenant)
	route("GET /v1/{tenant}/key", "key", s.describeKey)
	route("POST /v1/{tenant}/keys", "create_key", s.createTenantKey)
	route("POST /v1/keys", "create_key", s.createSystemKey)
	route("GET /v1/events", "events", s.events)
	route("GET /healthz", "healthz", func(w http.ResponseWriter, _ *http.Request) { writeText(w, http.StatusOK, "ok") })
	route("GET /readyz", "readyz", s.readyz)
	if opts.Uploads != nil {
		up := s.instrument("uploads", s.uploadsGate(opts.Uploads))
		mux.Handle("/v1/{tenant}/uploads", up)
		mux.Handle("/v1/{tenant}/uploads/", up)
	}
	if opts.Console != nil {
		mux.Handle("/console/", s.instrument("console", opts.Console))
		mux.Handle("GET /{$}", http.RedirectHandler("/console/", http.StatusFound))
	}
	metricsH := opts.Metrics
	if metricsH == nil {
		metricsH = promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{})
	}
	mux.Handle("GET /metrics", metricsH)
	return mux
}

// uploadsGate authenticates tus requests before the uploads handler.
func (s *Service) uploadsGate(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		p, err := s.authorize(r, WriteImages, r.PathValue("tenant"))
		if err != nil {
			writeError(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	}
}

// authorize authenticates r and checks that its principal may do a on
// tenant (ErrUnauthorized, ErrForbidden).
func (s *Service) authorize(r *http.Request, a Action, tenant string) (Principal, error) {
	p, err := s.Authenticate(r)
	if err != nil {
		return p, err
	}
	if !p.Can(a, tenant) {
		return p, ErrForbidden
	}
	return p, nil
}

// StatusFor is the HTTP status of an error of this package (for handlers
// mounted beside the API, such as tus uploads, that call Ingest).
func StatusFor(err error) int { return statusFor(err) }

// statusFor maps an error to its HTTP status: the one place that does.
func statusFor(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrPreconditionFailed):
		return http.StatusPreconditionFailed
	case errors.Is(err, ErrExists):
		return http.StatusConflict
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, ErrUnsupportedType):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrTooManyPixels), errors.Is(err, ErrUndecodable):
		return http.StatusUnprocessableEntity
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError answers with err's status and a short plain-text cause;
// internal errors are logged and answered without detail. A store outage
// is a 503 naming the store, with Retry-After.
func writeError(w http.ResponseWriter, err error) {
	code := statusFor(err)
	msg := err.Error()
	switch {
	case code == http.StatusServiceUnavailable:
		slog.Warn("origin: store unavailable", "err", err)
		msg = UnavailableCause(err)
		w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter/time.Second)))
	case code >= 500:
		slog.Error("origin: request failed", "err", err)
		msg = http.StatusText(code)
	}
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pixcdn"`)
	}
	writeText(w, code, msg)
}

func writeText(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n"))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// instrument counts and times requests per route.
func (s *Service) instrument(route string, h http.Handler) http.Handler {
	hist := s.metrics.duration.WithLabelValues(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		hist.Observe(time.Since(start).Seconds())
		s.metrics.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
	})
}

type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
