package uploads

import (
	"errors"
	"net/http"
	"strings"

	"github.com/tus/tusd/v2/pkg/handler"
	"golang.org/x/exp/slog"
)

// pathPrefix is where every tenant's uploads live: /v1/{tenant}/uploads/.
const pathPrefix = "/v1/"

// Handler serves tus 1.0 at /v1/{tenant}/uploads/ (POST to create, HEAD,
// PATCH and DELETE on /v1/{tenant}/uploads/{id}, OPTIONS for discovery).
// Every request but OPTIONS must pass Deps.Authorize (when set) for the
// tenant in its path. Safe for concurrent use; mount it for the pattern
// "/v1/{tenant}/uploads/" (and ".../uploads" for creation).
type Handler struct {
	tus     *handler.UnroutedHandler
	deps    Deps
	routed  http.Handler
	maxSize int64 // Config.MaxSize
}

// New builds the handler. logger receives tusd's warnings and errors; nil
// discards them.
func New(cfg Config, deps Deps, logger *slog.Logger) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := deps.validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(discardWriter{}, nil))
	}
	composer := handler.NewStoreComposer()
	s := newStore(cfg, deps)
	composer.UseCore(s)
	composer.UseTerminater(s)
	composer.UseLocker(&locker{locks: deps.Locks, cfg: cfg})
	tus, err := handler.NewUnroutedHandler(handler.Config{
		StoreComposer:           composer,
		BasePath:                "/uploads/", // Location is rewritten per tenant
		MaxSize:                 cfg.MaxSize,
		DisableDownload:         true,
		DisableConcatenation:    true,
		AcquireLockTimeout:      cfg.LockWait,
		NetworkTimeout:          cfg.NetworkTimeout,
		RespectForwardedHeaders: false,
		Logger:                  logger,
		PreUploadCreateCallback: checkMetadata,
	})
	if err != nil {
		return nil, err
	}
	h := &Handler{tus: tus, deps: deps, maxSize: cfg.MaxSize}
	h.routed = tus.Middleware(http.HandlerFunc(h.route))
	return h, nil
}

// ServeHTTP authorises the request, then hands it to tusd with the upload
// ID as its path and the tenant in its context.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tenant, id, ok := splitPath(r.URL.Path)
	if !ok {
		http.Error(w, "not found: use /v1/{tenant}/uploads/{id}", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodOptions && h.deps.Authorize != nil {
		if status, msg := authStatus(h.deps.Authorize(r, tenant)); status != 0 {
			http.Error(w, msg, status)
			return
		}
	}
	sum, err := parseChecksum(r.Header.Get("Upload-Checksum"))
	if err != nil {
		w.Header().Set("Tus-Resumable", "1.0.0")
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	x := &exchange{tenant: tenant, method: r.Method, checksum: sum}
	body := &trackedBody{ReadCloser: r.Body}
	inner := r.Clone(withExchange(r.Context(), x))
	inner.URL.Path, inner.URL.RawPath = "/"+id, ""
	inner.Body = body
	h.routed.ServeHTTP(&responseWriter{ResponseWriter: w, x: x, tenant: tenant, id: id,
		req: r, body: body, drainLimit: h.maxSize + 1<<20}, inner)
}

// route dispatches tus requests; the path is "/" or "/{id}".
func (h *Handler) route(w http.ResponseWriter, r *http.Request) {
	atRoot := strings.Trim(r.URL.Path, "/") == ""
	switch {
	case atRoot && r.Method == http.MethodPost:
		h.tus.PostFile(w, r)
	case !atRoot && r.Method == http.MethodHead:
		h.tus.HeadFile(w, r)
	case !atRoot && r.Method == http.MethodPatch:
		h.tus.PatchFile(w, r)
	case !atRoot && r.Method == http.MethodDelete:
		h.tus.DelFile(w, r)
	default:
		allow := "HEAD, PATCH, DELETE, OPTIONS"
		if atRoot {
			allow = "POST, OPTIONS"
		}
		w.Header().Set("Allow", allow)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// splitPath parses /v1/{tenant}/uploads[/{id}]; id is "" for the collection.
func splitPath(path string) (tenant, id string, ok bool) {
	rest, found := strings.CutPrefix(path, pathPrefix)
	if !found {
		return "", "", false
	}
	tenant, rest, _ = strings.Cut(rest, "/")
	rest, found = strings.CutPrefix(rest, "uploads")
	if !found || tenant == "" || (rest != "" && rest[0] != '/') {
		return "", "", false
	}
	id = strings.Trim(rest, "/")
	return tenant, id, !strings.Contains(id, "/")
}

// authStatus maps an Authorizer's verdict to a status and message (0 when
// allowed).
func authStatus(err error) (int, string) {
	switch {
	case err == nil:
		return 0, ""
	case errors.Is(err, ErrUnauthenticated):
		return http.StatusUnauthorized, "unauthorized: a Bearer key of this tenant is required"
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden, "forbidden: uploading needs the editor or admin role of this tenant"
	default:
		return http.StatusInternalServerError, "internal error"
	}
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
