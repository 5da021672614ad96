package origin_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/http"
	"strings"
	"testing"

	mc "github.com/minio/minio-go/v7"

	"pixcdn/origin"
)

// objectCount counts the objects in the harness's bucket.
func (h *harness) objectCount() int {
	h.t.Helper()
	n := 0
	for obj := range h.blobs.Client().ListObjects(context.Background(), h.blobs.Bucket(), mc.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			h.t.Fatal(obj.Err)
		}
		n++
	}
	return n
}

func (h *harness) rowCount(table string) int {
	h.t.Helper()
	var n int
	if err := h.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func TestValidationRefusesAndLeavesNothingBehind(t *testing.T) {
	h := newHarness(t, func(c *origin.Config) { c.MaxUploadBytes = 64 << 10; c.MaxPixels = 1000 * 1000 })
	_, editor, _ := h.tenant("acme")
	hugePNG := pngImage(t, 8, 8, 1)
	binary.BigEndian.PutUint32(hugePNG[16:], 5000) // header claims 5000×8…
	binary.BigEndian.PutUint32(hugePNG[20:], 5000) // …×5000 pixels
	for _, c := range []struct {
		name string
		body []byte
		want int
	}{
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), http.StatusUnsupportedMediaType},
		{"text", []byte("hello world"), http.StatusUnsupportedMediaType},
		{"empty", nil, http.StatusUnsupportedMediaType},
		{"too large", append(pngImage(t, 8, 8, 1), make([]byte, 65<<10)...), http.StatusRequestEntityTooLarge},
		{"too many pixels", hugePNG, http.StatusUnprocessableEntity},
		{"truncated jpeg", jpegImage(t, 8, 8, 1)[:40], http.StatusUnprocessableEntity},
		{"garbage png", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 40)...), http.StatusUnprocessableEntity},
	} {
		code, _, b := h.do("PUT", "/v1/acme/images/bad.img", editor, bytes.NewReader(c.body), "Content-Type", "image/png")
		if code != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, code, bytes.TrimSpace(b), c.want)
		}
	}
	h.mustDo(http.StatusBadRequest, "PUT", "/v1/acme/images/a%01b.png", editor, bytes.NewReader(pngImage(t, 2, 2, 1)))
	h.mustDo(http.StatusBadRequest, "PUT", "/v1/acme/images/a.png?tags=bad%20tag", editor, bytes.NewReader(pngImage(t, 2, 2, 1)))
	h.mustDo(http.StatusNotFound, "PUT", "/v1/nobody/images/a.png", adminKey, bytes.NewReader(pngImage(t, 2, 2, 1)))
	if n := h.objectCount(); n != 0 {
		t.Errorf("%d objects left in the bucket after refused uploads", n)
	}
	for _, table := range []string{"images", "image_versions", "blobs", "events"} {
		if n := h.rowCount(table); n != 0 {
			t.Errorf("%d rows in %s after refused uploads", n, table)
		}
	}
}

func TestFailedCommitDiscardsItsBlob(t *testing.T) {
	h := newHarness(t)
	_, editor, _ := h.tenant("acme")
	img := pngImage(t, 6, 6, 9)
	h.mustDo(http.StatusCreated, "PUT", "/v1/acme/images/a.png", editor, bytes.NewReader(img))
	// A conditional create of another image with new bytes fails after the
	// precondition check, before any store: nothing is written.
	h.mustDo(http.StatusPreconditionFailed, "PUT", "/v1/acme/images/a.png", editor, bytes.NewReader(pngImage(t, 6, 6, 10)), "If-None-Match", "*")
	// A commit that fails after storing (the context ends inside the
	// transaction) discards the object.
	ctx, cancel := context.WithCancel(context.Background())
	cancelling := &cancelAfterReader{r: bytes.NewReader(pngImage(t, 7, 7, 11)), cancel: cancel}
	if _, err := h.svc.Ingest(ctx, "acme", "b.png", cancelling, origin.IngestOptions{}); err == nil {
		t.Fatal("ingest with a cancelled context succeeded")
	}
	if n := h.objectCount(); n != 1 {
		t.Fatalf("%d objects in the bucket, want only a.png's", n)
	}
}

// cancelAfterReader cancels its context once the body is read, so the
// commit that follows fails.
type cancelAfterReader struct {
	r      *bytes.Reader
	cancel context.CancelFunc
}

func (c *cancelAfterReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil {
		c.cancel()
	}
	return n, err
}

func TestSameBytesAreStoredOncePerTenant(t *testing.T) {
	h := newHarness(t)
	_, acme, _ := h.tenant("acme")
	_, beta, _ := h.tenant("beta")
	img := jpegImage(t, 20, 20, 4)
	for _, id := range []string{"a.jpg", "b.jpg", "a.jpg"} {
		code, _, _ := h.do("PUT", "/v1/acme/images/"+id, acme, bytes.NewReader(img))
		if code != http.StatusCreated && code != http.StatusOK {
			t.Fatalf("PUT %s = %d", id, code)
		}
	}
	h.mustDo(http.StatusCreated, "PUT", "/v1/beta/images/a.jpg", beta, bytes.NewReader(img))
	if n := h.objectCount(); n != 2 {
		t.Fatalf("%d objects, want 2 (one per tenant)", n)
	}
}

func TestMultipartPost(t *testing.T) {
	h := newHarness(t)
	_, editor, _ := h.tenant("acme")
	img := pngImage(t, 12, 9, 5)
	var body bytes.Buffer
	boundary := "XyZ"
	body.WriteString("--XyZ\r\nContent-Disposition: form-data; name=\"public_id\"\r\n\r\nposts/one.png\r\n")
	body.WriteString("--XyZ\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\nx,y\r\n")
	body.WriteString("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ignored.png\"\r\nContent-Type: application/octet-stream\r\n\r\n")
	body.Write(img)
	body.WriteString("\r\n--XyZ--\r\n")
	_, b := h.mustDo(http.StatusCreated, "POST", "/v1/acme/images", editor, &body, "Content-Type", "multipart/form-data; boundary="+boundary)
	im := decodeImage(t, b)
	if im.PublicID != "posts/one.png" || strings.Join(im.Tags, ",") != "x,y" || im.Width != 12 {
		t.Fatalf("multipart upload gave %+v", im)
	}
}
