package uploads_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"pixcdn/origin/uploads/tusclient"

	"pixcdn/internal/testenv"
)

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// tusRequest sends one raw tus request with tenant acme's editor key.
func tusRequest(t *testing.T, method, url string, body []byte, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(testenv.Context(t), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Authorization", "Bearer key-acme")
	if method == http.MethodPatch {
		req.Header.Set("Content-Type", "application/offset+octet-stream")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func create(t *testing.T, o *originProc, size int, publicID string) string {
	t.Helper()
	c := &tusclient.Client{Key: "key-acme"}
	url, err := c.Create(testenv.Context(t), o.endpoint("acme"), int64(size), map[string]string{"public_id": publicID})
	if err != nil {
		t.Fatal(err)
	}
	return url
}

func offsetOf(t *testing.T, url string) int64 {
	t.Helper()
	off, _, err := (&tusclient.Client{Key: "key-acme"}).Offset(testenv.Context(t), url)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

func TestDiscoveryAnnouncesExtensionsAndChecksums(t *testing.T) {
	o := newBackend(t).start(t, testConfig())
	resp := tusRequest(t, http.MethodOptions, o.endpoint("acme"), nil, nil)
	ext := resp.Header.Get("Tus-Extension")
	for _, want := range []string{"creation", "creation-with-upload", "termination", "checksum", "expiration"} {
		if !bytes.Contains([]byte(","+ext+","), []byte(","+want+",")) {
			t.Errorf("Tus-Extension %q lacks %s", ext, want)
		}
	}
	if algos := resp.Header.Get("Tus-Checksum-Algorithm"); algos == "" || !bytes.Contains([]byte(algos), []byte("sha1")) || !bytes.Contains([]byte(algos), []byte("sha256")) {
		t.Errorf("Tus-Checksum-Algorithm = %q", algos)
	}
}

func TestChecksumMismatchIsRefusedWith460AndDiscarded(t *testing.T) {
	o := newBackend(t).start(t, testConfig())
	data := randomBytes(t, 7<<20)
	url := create(t, o, len(data), "cats/tom.jpg")
	wrong := sha1.Sum([]byte("something else"))
	resp := tusRequest(t, http.MethodPatch, url, data[:6<<20], map[string]string{
		"Upload-Offset": "0", "Upload-Checksum": "sha1 " + base64.StdEncoding.EncodeToString(wrong[:])})
	if resp.StatusCode != 460 {
		t.Fatalf("PATCH with a wrong sha1 = %d, want 460", resp.StatusCode)
	}
	if off := offsetOf(t, url); off != 0 {
		t.Fatalf("offset after a refused chunk = %d, want 0", off)
	}
	right := sha1.Sum(data[:6<<20])
	resp = tusRequest(t, http.MethodPatch, url, data[:6<<20], map[string]string{
		"Upload-Offset": "0", "Upload-Checksum": "sha1 " + base64.StdEncoding.EncodeToString(right[:])})
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Upload-Offset") != strconv.Itoa(6<<20) {
		t.Fatalf("PATCH with the right sha1 = %d offset %s", resp.StatusCode, resp.Header.Get("Upload-Offset"))
	}
	resp = tusRequest(t, http.MethodPatch, url, data[6<<20:], map[string]string{
		"Upload-Offset": strconv.Itoa(6 << 20), "Upload-Checksum": "crc99 AAAA"})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("PATCH with an unknown algorithm = %d, want 400", resp.StatusCode)
	}
}

func TestSmallPatchesAreBufferedAndAssembled(t *testing.T) {
	b := newBackend(t)
	o := b.start(t, testConfig())
	data := randomBytes(t, 11<<20+123)
	c := &tusclient.Client{Key: "key-acme"}
	res, err := c.Upload(testenv.Context(t), o.endpoint("acme"), bytes.NewReader(data), int64(len(data)),
		map[string]string{"public_id": "cats/small-chunks.jpg", "tags": "a,b"}, tusclient.Options{ChunkSize: 700 << 10})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := b.ingested.bytes("acme", "cats/small-chunks.jpg")
	if !ok || !bytes.Equal(got, data) {
		t.Fatalf("ingested %d bytes (ok %v), want the %d uploaded", len(got), ok, len(data))
	}
	if res.ETag == "" || res.Version == 0 {
		t.Errorf("result lacks the image's ETag and version: %+v", res)
	}
	if n := countMultipartUploads(t, b, res.URL); n != 0 {
		t.Errorf("%d multipart uploads left in the bucket", n)
	}
}

func TestRefusedUploadIsDiscarded(t *testing.T) {
	b := newBackend(t)
	o := b.start(t, testConfig())
	data := append([]byte("BAD"), randomBytes(t, 100)...)
	url := create(t, o, len(data), "cats/bad.jpg")
	resp := tusRequest(t, http.MethodPatch, url, data, map[string]string{"Upload-Offset": "0"})
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("completing a non-image = %d, want 415", resp.StatusCode)
	}
	if resp := tusRequest(t, http.MethodHead, url, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("HEAD of a refused upload = %d, want 404", resp.StatusCode)
	}
}

func TestTerminationDiscardsTheUpload(t *testing.T) {
	b := newBackend(t)
	o := b.start(t, testConfig())
	url := create(t, o, 8<<20, "cats/gone.jpg")
	tusRequest(t, http.MethodPatch, url, randomBytes(t, 6<<20), map[string]string{"Upload-Offset": "0"})
	if err := (&tusclient.Client{Key: "key-acme"}).Terminate(testenv.Context(t), url); err != nil {
		t.Fatal(err)
	}
	if resp := tusRequest(t, http.MethodHead, url, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("HEAD after DELETE = %d, want 404", resp.StatusCode)
	}
	if n := countMultipartUploads(t, b, url); n != 0 {
		t.Errorf("%d multipart uploads left after termination", n)
	}
}

func TestCreationNeedsPublicIDAndRespectsMaxSize(t *testing.T) {
	o := newBackend(t).start(t, testConfig())
	resp := tusRequest(t, http.MethodPost, o.endpoint("acme"), nil, map[string]string{"Upload-Length": "10"})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("creation without public_id = %d, want 400", resp.StatusCode)
	}
	resp = tusRequest(t, http.MethodPost, o.endpoint("acme"), nil, map[string]string{
		"Upload-Length": strconv.Itoa(51 << 20), "Upload-Metadata": tusclient.EncodeMetadata(map[string]string{"public_id": "x.jpg"})})
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("creation above MaxSize = %d, want 413", resp.StatusCode)
	}
	resp = tusRequest(t, http.MethodPost, o.endpoint("acme"), nil, map[string]string{
		"Upload-Length": "10", "Upload-Metadata": tusclient.EncodeMetadata(map[string]string{"public_id": "../x.jpg"})})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("creation with public_id ../x.jpg = %d, want 400", resp.StatusCode)
	}
}

func TestTenantsAreIsolated(t *testing.T) {
	o := newBackend(t).start(t, testConfig())
	url := create(t, o, 100, "cats/tom.jpg")
	id := url[len(o.endpoint("acme")):]
	cases := []struct {
		name, url, key string
		want           int
	}{
		{"no key", url, "", http.StatusUnauthorized},
		{"other tenant's key on acme's path", url, "key-beta", http.StatusForbidden},
		{"viewer of acme", url, "viewer-acme", http.StatusForbidden},
		{"beta's path with acme's id", o.endpoint("beta") + id, "key-beta", http.StatusNotFound},
	}
	for _, tc := range cases {
		for _, method := range []string{http.MethodHead, http.MethodPatch, http.MethodDelete} {
			resp := tusRequest(t, method, tc.url, []byte("x"), map[string]string{"Authorization": "Bearer " + tc.key, "Upload-Offset": "0"})
			if resp.StatusCode != tc.want {
				t.Errorf("%s: %s = %d, want %d", tc.name, method, resp.StatusCode, tc.want)
			}
		}
	}
	if off := offsetOf(t, url); off != 0 {
		t.Fatalf("acme's upload moved to %d", off)
	}
}

func TestExpiredUploadsAreSweptFromLedgerAndBucket(t *testing.T) {
	b := newBackend(t)
	cfg := testConfig()
	// Long enough for the 6 MB PATCH below to finish on a loaded machine
	// (with 1 s it sometimes expired first: 410).
	cfg.Expiry = 3 * time.Second
	o := b.start(t, cfg)
	url := create(t, o, 8<<20, "cats/late.jpg")
	resp := tusRequest(t, http.MethodPatch, url, randomBytes(t, 6<<20), map[string]string{"Upload-Offset": "0"})
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Upload-Expires") == "" {
		t.Fatalf("PATCH = %d, Upload-Expires %q", resp.StatusCode, resp.Header.Get("Upload-Expires"))
	}
	deadline := time.Now().Add(15 * time.Second)
	for tusRequest(t, http.MethodHead, url, nil, nil).StatusCode != http.StatusGone {
		if time.Now().After(deadline) {
			t.Fatal("the upload never expired")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := countMultipartUploads(t, b, url); n != 1 {
		t.Fatalf("%d multipart uploads before the sweep, want 1", n)
	}
	removed, err := o.sweeper.Sweep(testenv.Context(t))
	if err != nil || removed != 1 {
		t.Fatalf("sweep removed %d, err %v; want 1", removed, err)
	}
	if resp := tusRequest(t, http.MethodHead, url, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("HEAD after the sweep = %d, want 404", resp.StatusCode)
	}
	if n := countMultipartUploads(t, b, url); n != 0 {
		t.Fatalf("%d multipart uploads after the sweep, want 0", n)
	}
}

// countMultipartUploads counts the unfinished multipart uploads of the
// upload at url (MinIO lists them per object name only).
func countMultipartUploads(t *testing.T, b *backend, url string) int {
	t.Helper()
	id := url[strings.LastIndex(url, "/")+1:]
	n := 0
	for u := range b.client.ListIncompleteUploads(testenv.Context(t), b.bucket, "uploads/acme/"+id, false) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		n++
	}
	return n
}

func asStatus(err error, target **tusclient.StatusError) bool {
	return errors.As(err, target)
}

func TestCollectorCountsProtocolTraffic(t *testing.T) {
	b := newBackend(t)
	o := b.start(t, testConfig())
	create(t, o, 100, "cats/counted.jpg")
	reg := prometheus.NewRegistry()
	reg.MustRegister(o.handler.Collector())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "tusd_uploads_created" && f.GetMetric()[0].GetCounter().GetValue() == 1 {
			return
		}
	}
	t.Fatalf("tusd_uploads_created is not 1 in %v", families)
}
