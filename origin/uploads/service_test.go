package uploads_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"pixcdn/internal/testenv"
	"pixcdn/origin"
	"pixcdn/origin/minio"
	"pixcdn/origin/postgres"
	"pixcdn/origin/uploads"
	"pixcdn/origin/uploads/tusclient"

	"pixcdn/origin/postgres/pgtest"
)

const adminKey = "uploads-test-admin-key-0123456789"

// realOrigin is the whole origin API with the uploads handler mounted the
// way `pixcdn origin` mounts it: behind the origin's own key check, with
// completed uploads going through Service.Ingest.
func realOrigin(t *testing.T) *httptest.Server {
	t.Helper()
	ctx := testenv.Context(t)
	pcfg := postgres.DefaultConfig()
	pcfg.DSN = testenv.Postgres(t)
	if _, err := postgres.Migrate(ctx, pcfg); err != nil {
		t.Fatal(err)
	}
	db := pgtest.Open(t, pcfg)
	m := testenv.MinIO(t)
	store, err := minio.New(ctx, minio.Config{Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey, Bucket: m.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	cfg := origin.DefaultConfig()
	cfg.AdminKey, cfg.SpoolDir = adminKey, t.TempDir()
	catalog := postgres.NewCatalog(db)
	svc, err := origin.New(cfg, catalog, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := postgres.StartNotifier(catalog, svc.EventsChanged, 200*time.Millisecond)
	t.Cleanup(n.Close)
	ingest := func(ctx context.Context, in uploads.Ingestion) (uploads.Ingested, error) {
		im, err := svc.Ingest(ctx, in.Tenant, in.PublicID, in.Body, origin.IngestOptions{Tags: in.Tags})
		return uploads.Ingested{Version: im.Version, ETag: im.ETag()}, err
	}
	h, err := uploads.New(testConfig(), uploads.Deps{
		Ledger: postgres.NewUploadLedger(db), Staging: minio.NewMultipart(store.Client(), store.Bucket()),
		Locks: postgres.NewUploadLocks(db), Ingester: uploads.IngesterFunc(ingest), Status: origin.StatusFor,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler(origin.HandlerOptions{Uploads: h}))
	t.Cleanup(srv.Close)
	return srv
}

// api sends one origin API request and returns its status and body.
func api(t *testing.T, method, url, key, body string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func newKey(t *testing.T, url, body string) string {
	t.Helper()
	code, _, b := api(t, "POST", url, adminKey, body)
	var out struct{ Key string }
	if code != http.StatusCreated || json.Unmarshal(b, &out) != nil {
		t.Fatalf("POST %s = %d %s", url, code, b)
	}
	return out.Key
}

// bigPNG encodes a w×h uncompressed PNG of noise: 4 bytes a pixel, quick
// to make even under the race detector.
func bigPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.Uint32())
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCompletedUploadBecomesAnImageLikeAPut(t *testing.T) {
	srv := realOrigin(t)
	if code, _, b := api(t, "POST", srv.URL+"/v1/tenants", adminKey, `{"id":"acme"}`); code != http.StatusCreated {
		t.Fatalf("create tenant: %d %s", code, b)
	}
	editor := newKey(t, srv.URL+"/v1/acme/keys", `{"role":"editor"}`)
	edge := newKey(t, srv.URL+"/v1/keys", `{"role":"edge"}`)
	data := bigPNG(t, 1600, 1200)
	if len(data) < 6<<20 {
		t.Fatalf("test image is only %d bytes; it should span two parts", len(data))
	}
	client := &tusclient.Client{Key: editor}
	endpoint, _ := tusclient.Endpoint(srv.URL, "acme")
	res, err := client.Upload(testenv.Context(t), endpoint, bytes.NewReader(data), int64(len(data)),
		map[string]string{"public_id": "cats/noise.png", "tags": "summer,noise"}, tusclient.Options{ChunkSize: 3 << 20})
	if err != nil {
		t.Fatal(err)
	}
	code, hdr, body := api(t, "GET", srv.URL+"/v1/acme/originals/cats/noise.png", editor, "")
	if code != http.StatusOK || !bytes.Equal(body, data) || hdr.Get("ETag") != res.ETag {
		t.Fatalf("original: %d, %d bytes, ETag %s (upload said %s)", code, len(body), hdr.Get("ETag"), res.ETag)
	}
	var meta struct {
		Version int64
		Format  string
		Width   int
		Tags    []string
	}
	_, _, body = api(t, "GET", srv.URL+"/v1/acme/images/cats/noise.png", editor, "")
	if err := json.Unmarshal(body, &meta); err != nil || meta.Version != res.Version || meta.Width != 1600 ||
		strings.Join(meta.Tags, ",") != "summer,noise" {
		t.Fatalf("image metadata %s (version from the upload %d)", body, res.Version)
	}
	_, _, body = api(t, "GET", srv.URL+"/v1/events?after=0&wait=10s", edge, "")
	if !bytes.Contains(body, []byte(`"public_id":"cats/noise.png"`)) || !bytes.Contains(body, []byte(`"kind":"updated"`)) {
		t.Fatalf("event feed after the upload: %s", body)
	}
}

func TestRealOriginRefusesANonImageUpload(t *testing.T) {
	srv := realOrigin(t)
	api(t, "POST", srv.URL+"/v1/tenants", adminKey, `{"id":"acme"}`)
	editor := newKey(t, srv.URL+"/v1/acme/keys", `{"role":"editor"}`)
	endpoint, _ := tusclient.Endpoint(srv.URL, "acme")
	text := bytes.Repeat([]byte("not an image "), 1000)
	_, err := (&tusclient.Client{Key: editor}).Upload(testenv.Context(t), endpoint, bytes.NewReader(text), int64(len(text)),
		map[string]string{"public_id": "docs/readme.jpg"}, tusclient.Options{})
	var se *tusclient.StatusError
	if !asStatus(err, &se) || se.Code != http.StatusUnsupportedMediaType {
		t.Fatalf("uploading text = %v, want 415", err)
	}
	if code, _, _ := api(t, "GET", srv.URL+"/v1/acme/images/docs/readme.jpg", editor, ""); code != http.StatusNotFound {
		t.Fatalf("the refused upload left an image (%d)", code)
	}
}
