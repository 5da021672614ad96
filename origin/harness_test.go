package origin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"pixcdn/internal/testenv"
	"pixcdn/origin"
	"pixcdn/origin/minio"
	"pixcdn/origin/postgres"

	"pixcdn/internal/testimage"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

const adminKey = "test-admin-key-0123456789"

// harness is one origin over a fresh database and bucket, served by an
// httptest server.
type harness struct {
	t       testing.TB
	svc     *origin.Service
	db      *postgres.DB
	catalog *postgres.Catalog
	blobs   *minio.Store
	srv     *httptest.Server
	dsn     string
	minio   testenv.MinIOServer
}

func newHarness(t testing.TB, mutate ...func(*origin.Config)) *harness {
	t.Helper()
	return newHarnessOn(t, testenv.Postgres(t), testenv.MinIO(t), mutate...)
}

// newHarnessOn is a second origin process over an existing database and
// bucket (it migrates again, as a real process would).
func newHarnessOn(t testing.TB, dsn string, m testenv.MinIOServer, mutate ...func(*origin.Config)) *harness {
	t.Helper()
	ctx := testenv.Context(t)
	pcfg := postgres.DefaultConfig()
	pcfg.DSN = dsn
	if _, err := postgres.Migrate(ctx, pcfg); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	db, err := postgres.Open(ctx, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	blobs, err := minio.New(ctx, minio.Config{Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey, Bucket: m.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(blobs.Close)
	cfg := origin.DefaultConfig()
	cfg.AdminKey = adminKey
	cfg.SpoolDir = t.TempDir()
	for _, f := range mutate {
		f(&cfg)
	}
	h := &harness{t: t, dsn: dsn, minio: m, db: db, catalog: postgres.NewCatalog(db), blobs: blobs}
	h.svc, err = origin.New(cfg, h.catalog, blobs, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := postgres.StartNotifier(h.catalog, h.svc.EventsChanged, 200*time.Millisecond)
	t.Cleanup(n.Close)
	h.srv = httptest.NewServer(h.svc.Handler(origin.HandlerOptions{}))
	t.Cleanup(h.srv.Close)
	return h
}

// do sends a request and returns the status, headers and body.
func (h *harness) do(method, path, key string, body io.Reader, hdr ...string) (int, http.Header, []byte) {
	h.t.Helper()
	return h.doAt(h.srv.URL, method, path, key, body, hdr...)
}

// doAt is do against another server of the same origin (base URL).
func (h *harness) doAt(base, method, path, key string, body io.Reader, hdr ...string) (int, http.Header, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// mustDo is do that fails the test unless the status is want.
func (h *harness) mustDo(want int, method, path, key string, body io.Reader, hdr ...string) (http.Header, []byte) {
	h.t.Helper()
	code, header, b := h.do(method, path, key, body, hdr...)
	if code != want {
		h.t.Fatalf("%s %s = %d %s, want %d", method, path, code, bytes.TrimSpace(b), want)
	}
	return header, b
}

// tenant creates a tenant and returns an admin, editor and viewer key.
func (h *harness) tenant(id string) (admin, editor, viewer string) {
	h.t.Helper()
	h.mustDo(http.StatusCreated, "POST", "/v1/tenants", adminKey, strings.NewReader(`{"id":"`+id+`"}`))
	keys := map[string]string{}
	for _, role := range []string{"admin", "editor", "viewer"} {
		_, b := h.mustDo(http.StatusCreated, "POST", "/v1/"+id+"/keys", adminKey, strings.NewReader(`{"role":"`+role+`"}`))
		var out struct{ Key string }
		if err := json.Unmarshal(b, &out); err != nil || out.Key == "" {
			h.t.Fatalf("create %s key: %s (%v)", role, b, err)
		}
		keys[role] = out.Key
	}
	return keys["admin"], keys["editor"], keys["viewer"]
}

// systemKey creates a system key with role.
func (h *harness) systemKey(role string) string {
	h.t.Helper()
	_, b := h.mustDo(http.StatusCreated, "POST", "/v1/keys", adminKey, strings.NewReader(`{"role":"`+role+`"}`))
	var out struct{ Key string }
	if err := json.Unmarshal(b, &out); err != nil {
		h.t.Fatal(err)
	}
	return out.Key
}

// pngImage returns a w×h PNG whose pixels depend on seed.
func pngImage(t testing.TB, w, h int, seed byte) []byte {
	return testimage.PNG(t, pattern(w, h, seed))
}

// jpegImage returns a w×h JPEG whose pixels depend on seed.
func jpegImage(t testing.TB, w, h int, seed byte) []byte {
	return testimage.JPEG(t, pattern(w, h, seed), 90)
}

func pattern(w, h int, seed byte) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{byte(x*7) ^ seed, byte(y*13) + seed, byte(x*y) ^ seed, 255})
		}
	}
	return img
}

func decodeImage(t testing.TB, b []byte) origin.Image {
	t.Helper()
	var im origin.Image
	if err := json.Unmarshal(b, &im); err != nil {
		t.Fatalf("decode image JSON %s: %v", b, err)
	}
	return im
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
