package console

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

//go:embed static
var static embed.FS

// tusFile is tus-js-client's browser bundle inside Config.AssetsDir.
const tusFile = "node_modules/tus-js-client/dist/tus.min.js"

// Config says where the console's thumbnails and third-party code come from.
type Config struct {
	// EdgeURL is the public base URL of an edge, e.g. https://cdn.example
	// or http://127.0.0.1:8080 (required): thumbnails, previews and the
	// URLs to copy point there, and the pages' CSP allows its origin.
	EdgeURL string
	// AssetsDir holds the console's npm packages (the folder with
	// package.json and node_modules/, origin/console/npm in the
	// repository). Default "": FindAssets. When tus-js-client is not there,
	// the console still works but uploads are off and
	// /console/vendor/tus.min.js answers 503 saying how to install it.
	AssetsDir string
}

// Validate reports a missing or unusable EdgeURL.
func (c Config) Validate() error {
	_, err := edgeOrigin(c.EdgeURL)
	return err
}

// edgeOrigin is scheme://host[:port] of an absolute http(s) URL without
// query, fragment or user info.
func edgeOrigin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(u.Host, " ;'") {
		return "", fmt.Errorf("console: edge URL %q must be an absolute http(s) URL such as https://cdn.example", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

// FindAssets returns the first of these folders holding tus-js-client:
// origin/console/npm under the working directory, ../share/pixcdn/console
// beside the running executable (/usr/local/bin/pixcdn in the container
// image finds /usr/local/share/pixcdn/console), then origin/console/npm
// under each parent of the executable's folder (bin/pixcdn in a checkout
// finds the checkout's). It returns "" when none does.
func FindAssets() string {
	wd, _ := os.Getwd()
	exe, _ := os.Executable()
	return findAssets(wd, exe)
}

// findAssets is FindAssets from working directory wd and executable exe
// ("" when unknown).
func findAssets(wd, exe string) string {
	var candidates []string
	if wd != "" {
		candidates = append(candidates, filepath.Join(wd, "origin", "console", "npm"))
	}
	if exe != "" {
		candidates = append(candidates, filepath.Join(filepath.Dir(exe), "..", "share", "pixcdn", "console"))
		for dir := filepath.Dir(exe); ; dir = filepath.Dir(dir) {
			candidates = append(candidates, filepath.Join(dir, "origin", "console", "npm"))
			if dir == filepath.Dir(dir) {
				break
			}
		}
	}
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, tusFile)); err == nil {
			return filepath.Clean(dir)
		}
	}
	return ""
}

// New returns the console's handler for requests under /console/. Safe
// for concurrent use.
func New(cfg Config) (http.Handler, error) {
	edge, err := edgeOrigin(cfg.EdgeURL)
	if err != nil {
		return nil, err
	}
	if cfg.AssetsDir == "" {
		cfg.AssetsDir = FindAssets()
	}
	pages, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	settings, err := json.Marshal(struct {
		EdgeURL string `json:"edge_url"`
	}{strings.TrimRight(cfg.EdgeURL, "/")})
	if err != nil {
		return nil, err
	}
	h := &handler{cfg: cfg, csp: policy(edge), settings: settings,
		files: http.StripPrefix("/console/", http.FileServerFS(pages))}
	return h, nil
}

// policy is the Content-Security-Policy of every console answer.
func policy(edge string) string {
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: " + edge +
		"; connect-src 'self' " + edge + "; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
}

type handler struct {
	cfg      Config
	csp      string
	settings []byte // config.json
	files    http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", h.csp)
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cache-Control", "no-cache")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/console/config.json":
		hdr.Set("Content-Type", "application/json")
		_, _ = w.Write(h.settings)
	case "/console/vendor/tus.min.js":
		h.serveTus(w, r)
	default:
		h.files.ServeHTTP(w, r)
	}
}

// serveTus serves tus-js-client's browser bundle from the installed npm
// package, or a 503 saying how to install it.
func (h *handler) serveTus(w http.ResponseWriter, r *http.Request) {
	if h.cfg.AssetsDir == "" {
		http.Error(w, "tus-js-client is not installed: run `make deps` (npm ci in origin/console/npm) or start the origin with --console-assets DIR", http.StatusServiceUnavailable)
		return
	}
	path := filepath.Join(h.cfg.AssetsDir, tusFile)
	f, err := os.Open(path)
	if err != nil {
		msg := "tus-js-client cannot be read"
		if errors.Is(err, fs.ErrNotExist) {
			msg = "tus-js-client is not installed"
		}
		http.Error(w, msg+": run `make deps` (npm ci in origin/console/npm) or start the origin with --console-assets DIR", http.StatusServiceUnavailable)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		http.Error(w, "tus-js-client cannot be read", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	http.ServeContent(w, r, "tus.min.js", st.ModTime(), f)
}
