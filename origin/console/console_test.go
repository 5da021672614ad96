package console

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pixcdn/internal/testenv"
)

const wantCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https://cdn.example:8443; " +
	"connect-src 'self' https://cdn.example:8443; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

func get(t *testing.T, h http.Handler, method, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestPagesAndHeaders: every answer of the console, pages, settings,
// errors, carries the strict CSP (scripts only from the console itself,
// images and fetches also from the edge), no framing and nosniff; the pages
// load no inline script.
func TestPagesAndHeaders(t *testing.T) {
	assets := t.TempDir()
	bundle := filepath.Join(assets, tusFile)
	if err := os.MkdirAll(filepath.Dir(bundle), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bundle, []byte("/* tus */"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{EdgeURL: "https://cdn.example:8443/", AssetsDir: assets})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		method, path string
		code         int
		body, ctype  string
	}{
		{"GET", "/console/", 200, `<script type="module" src="app.js">`, "text/html"},
		{"GET", "/console/app.js", 200, "import", "text/javascript"},
		{"GET", "/console/style.css", 200, "body", "text/css"},
		{"GET", "/console/config.json", 200, `{"edge_url":"https://cdn.example:8443"}`, "application/json"},
		{"GET", "/console/vendor/tus.min.js", 200, "/* tus */", "text/javascript"},
		{"GET", "/console/nope.js", 404, "", ""},
		{"POST", "/console/", 405, "", ""},
	}
	for _, c := range cases {
		resp, body := get(t, h, c.method, c.path)
		if resp.StatusCode != c.code || !strings.Contains(body, c.body) || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) {
			t.Errorf("%s %s: %d %s %.80q, want %d %s containing %q", c.method, c.path, resp.StatusCode,
				resp.Header.Get("Content-Type"), body, c.code, c.ctype, c.body)
		}
		for name, want := range map[string]string{
			"Content-Security-Policy": wantCSP, "X-Frame-Options": "DENY",
			"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
		} {
			if got := resp.Header.Values(name); len(got) != 1 || got[0] != want {
				t.Errorf("%s %s: %s %q, want %q", c.method, c.path, name, got, want)
			}
		}
	}
	// No page runs inline script or style: the CSP would block it.
	entries, err := static.ReadDir("static")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := static.ReadFile("static/" + e.Name())
		if !strings.HasSuffix(e.Name(), ".html") {
			continue
		}
		for _, bad := range []string{"<script>", " style=", " onclick=", " onload=", " onerror=", " onsubmit=", " oninput="} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s has %q, which the console's CSP blocks", e.Name(), bad)
			}
		}
	}
}

// TestMissingTusClient: without the npm package the console still serves
// its pages, and the library's URL says how to install it.
func TestMissingTusClient(t *testing.T) {
	h, err := New(Config{EdgeURL: "http://127.0.0.1:8080", AssetsDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, h, "GET", "/console/vendor/tus.min.js")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "make deps") {
		t.Fatalf("tus.min.js without the package: %d %q, want 503 naming make deps", resp.StatusCode, body)
	}
	if resp, _ := get(t, h, "GET", "/console/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("page without the package: %d", resp.StatusCode)
	}
}

func TestEdgeURLMustBeAbsolute(t *testing.T) {
	for _, bad := range []string{"", "cdn.example", "/edge", "ftp://cdn.example", "http://u:p@cdn.example", "http://cdn.example/?x=1", "http://cdn.example; script-src *"} {
		if _, err := New(Config{EdgeURL: bad}); err == nil {
			t.Errorf("edge URL %q accepted", bad)
		}
	}
}

// TestFindAssetsFromTheRepository: from the repository's root, where `make
// run` starts the origin, FindAssets finds origin/console/npm once `make
// deps` installed it.
func TestFindAssetsFromTheRepository(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "origin/console/npm", tusFile)); err != nil {
		testenv.Unavailable(t, "tus-js-client (npm ci in origin/console/npm)", err)
	}
	t.Chdir(root)
	if got, want := FindAssets(), filepath.Join(root, "origin/console/npm"); got != want {
		t.Fatalf("FindAssets() = %q, want %q", got, want)
	}
}

// TestFindAssetsBesideTheBinary: an installed binary finds the library in
// ../share/pixcdn/console (the container image's layout), one in a
// checkout's bin/ finds the checkout's origin/console/npm, and nothing is
// found elsewhere.
func TestFindAssetsBesideTheBinary(t *testing.T) {
	install := func(dir string) {
		t.Helper()
		bundle := filepath.Join(dir, tusFile)
		if err := os.MkdirAll(filepath.Dir(bundle), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bundle, []byte("/* tus */"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	prefix, checkout, elsewhere := t.TempDir(), t.TempDir(), t.TempDir()
	install(filepath.Join(prefix, "share", "pixcdn", "console"))
	install(filepath.Join(checkout, "origin", "console", "npm"))
	for _, c := range []struct{ wd, exe, want string }{
		{elsewhere, filepath.Join(prefix, "bin", "pixcdn"), filepath.Join(prefix, "share", "pixcdn", "console")},
		{elsewhere, filepath.Join(checkout, "bin", "pixcdn"), filepath.Join(checkout, "origin", "console", "npm")},
		{checkout, filepath.Join(elsewhere, "pixcdn"), filepath.Join(checkout, "origin", "console", "npm")},
		{elsewhere, filepath.Join(elsewhere, "bin", "pixcdn"), ""},
	} {
		if got := findAssets(c.wd, c.exe); got != c.want {
			t.Errorf("findAssets(%s, %s) = %q, want %q", c.wd, c.exe, got, c.want)
		}
	}
}
