package origin_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

func TestPutThenGetOriginalAndMetadata(t *testing.T) {
	h := newHarness(t)
	_, editor, viewer := h.tenant("acme")
	body := pngImage(t, 40, 30, 1)
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`

	hdr, b := h.mustDo(http.StatusCreated, "PUT", "/v1/acme/images/cats/tom.png?tags=cat,summer", editor, bytes.NewReader(body))
	im := decodeImage(t, b)
	if im.Version != 1 || im.Width != 40 || im.Height != 30 || im.Format != "png" || im.Bytes != int64(len(body)) || hdr.Get("ETag") != etag {
		t.Fatalf("PUT answered %+v ETag %s", im, hdr.Get("ETag"))
	}
	if strings.Join(im.Tags, ",") != "cat,summer" || im.Visibility != "public" {
		t.Fatalf("tags %v visibility %q", im.Tags, im.Visibility)
	}

	hdr, got := h.mustDo(http.StatusOK, "GET", "/v1/acme/originals/cats/tom.png", viewer, nil)
	if !bytes.Equal(got, body) {
		t.Fatalf("original: %d bytes, want the %d uploaded", len(got), len(body))
	}
	for k, want := range map[string]string{
		"ETag": etag, "Content-Type": "image/png", "Pixcdn-Version": "1",
		"Pixcdn-Visibility": "public", "Pixcdn-Tags": "cat,summer",
		"Cache-Control": "public, max-age=31536000, stale-while-revalidate=60, stale-if-error=86400",
	} {
		if hdr.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, hdr.Get(k), want)
		}
	}
	if hdr.Get("Last-Modified") == "" {
		t.Error("no Last-Modified")
	}

	hdr, got = h.mustDo(http.StatusNotModified, "GET", "/v1/acme/originals/cats/tom.png", viewer, nil, "If-None-Match", etag)
	if len(got) != 0 || hdr.Get("ETag") != etag || hdr.Get("Pixcdn-Version") != "1" || hdr.Get("Cache-Control") == "" {
		t.Fatalf("304 carried %d bytes, headers %v", len(got), hdr)
	}
	h.mustDo(http.StatusNotModified, "GET", "/v1/acme/originals/cats/tom.png", viewer, nil, "If-Modified-Since", hdr.Get("Last-Modified"))

	hdr, got = h.mustDo(http.StatusPartialContent, "GET", "/v1/acme/originals/cats/tom.png", viewer, nil, "Range", "bytes=10-19")
	if !bytes.Equal(got, body[10:20]) || hdr.Get("Content-Range") != sprintf("bytes 10-19/%d", len(body)) {
		t.Fatalf("range: %q %s", got, hdr.Get("Content-Range"))
	}
	hdr, got = h.mustDo(http.StatusOK, "HEAD", "/v1/acme/originals/cats/tom.png", viewer, nil)
	if len(got) != 0 || hdr.Get("Content-Length") != sprintf("%d", len(body)) {
		t.Fatalf("HEAD: %d bytes, Content-Length %s", len(got), hdr.Get("Content-Length"))
	}

	_, b = h.mustDo(http.StatusOK, "GET", "/v1/acme/images/cats/tom.png", viewer, nil)
	if meta := decodeImage(t, b); meta.Version != 1 || meta.PublicID != "cats/tom.png" {
		t.Fatalf("metadata %+v", meta)
	}
	h.mustDo(http.StatusNotFound, "GET", "/v1/acme/originals/cats/none.png", viewer, nil)
}

func TestOverwriteMakesNewVersionAndPreconditions(t *testing.T) {
	h := newHarness(t)
	_, editor, _ := h.tenant("acme")
	first, second := pngImage(t, 8, 8, 1), jpegImage(t, 16, 8, 2)
	hdr, _ := h.mustDo(http.StatusCreated, "PUT", "/v1/acme/images/a.img", editor, bytes.NewReader(first))
	etag1 := hdr.Get("ETag")
	h.mustDo(http.StatusPreconditionFailed, "PUT", "/v1/acme/images/a.img", editor, bytes.NewReader(second), "If-None-Match", "*")
	h.mustDo(http.StatusPreconditionFailed, "PUT", "/v1/acme/images/a.img", editor, bytes.NewReader(second), "If-Match", `"0000"`)
	h.mustDo(http.StatusPreconditionFailed, "PUT", "/v1/acme/images/new.img", editor, bytes.NewReader(second), "If-Match", "*")
	_, b := h.mustDo(http.StatusOK, "PUT", "/v1/acme/images/a.img", editor, bytes.NewReader(second), "If-Match", etag1)
	im := decodeImage(t, b)
	if im.Version != 2 || im.Format != "jpeg" || im.Width != 16 {
		t.Fatalf("overwrite gave %+v", im)
	}
	_, got := h.mustDo(http.StatusOK, "GET", "/v1/acme/originals/a.img", editor, nil)
	if !bytes.Equal(got, second) {
		t.Fatal("original is not the overwrite")
	}
	h.mustDo(http.StatusPreconditionFailed, "DELETE", "/v1/acme/images/a.img", editor, nil, "If-Match", etag1)
	h.mustDo(http.StatusNoContent, "DELETE", "/v1/acme/images/a.img", editor, nil)
	h.mustDo(http.StatusNotFound, "GET", "/v1/acme/originals/a.img", editor, nil)
	_, b = h.mustDo(http.StatusCreated, "PUT", "/v1/acme/images/a.img", editor, bytes.NewReader(first))
	if im := decodeImage(t, b); im.Version != 3 {
		t.Fatalf("re-created image has version %d, want 3 (versions never repeat)", im.Version)
	}
}
