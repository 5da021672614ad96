package uploads_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"pixcdn/origin/uploads"
	"pixcdn/origin/uploads/tusclient"

	"pixcdn/internal/testenv"
)

// flakyStaging is the real staging whose PutPart of part fail fails once
// with a message that must not reach clients.
type flakyStaging struct {
	uploads.Staging
	fail   int
	failed atomic.Bool
}

func (f *flakyStaging) PutPart(ctx context.Context, key, uploadID string, number int, data []byte) (string, error) {
	if number == f.fail && f.failed.CompareAndSwap(false, true) {
		return "", errors.New("minio said: secret-internal-detail")
	}
	return f.Staging.PutPart(ctx, key, uploadID, number, data)
}

func TestFailedPartKeepsWhatCameBeforeAndHidesTheCause(t *testing.T) {
	b := newBackend(t)
	b.wrapStaging = func(s uploads.Staging) uploads.Staging { return &flakyStaging{Staging: s, fail: 2} }
	o := b.start(t, testConfig())
	data := randomBytes(t, 12<<20)
	url := create(t, o, len(data), "cats/flaky.jpg")

	req, _ := http.NewRequest(http.MethodPatch, url, bytes.NewReader(data))
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Authorization", "Bearer key-acme")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", "0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || strings.Contains(body.String(), "secret") {
		t.Fatalf("PATCH over a failing part = %d %q, want 500 without the cause", resp.StatusCode, body.String())
	}
	if off := offsetOf(t, url); off < 5<<20 || off > int64(len(data)) {
		t.Fatalf("offset after the failed part = %d, want the first part (%d) kept", off, 5<<20)
	}
	_, err = (&tusclient.Client{Key: "key-acme"}).Upload(testenv.Context(t), "", bytes.NewReader(data), int64(len(data)), nil,
		tusclient.Options{ResumeURL: url})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := b.ingested.bytes("acme", "cats/flaky.jpg"); !bytes.Equal(got, data) {
		t.Fatalf("ingested %d bytes, want the %d uploaded", len(got), len(data))
	}
}

// When ingestion fails after the last byte arrived, the client's next
// request retries it instead of reporting a complete upload that never
// became an image.
func TestFailedIngestionIsRetriedByTheNextRequest(t *testing.T) {
	b := newBackend(t)
	o := b.start(t, testConfig())
	data := randomBytes(t, 6<<20)
	url := create(t, o, len(data), "cats/retry.jpg")
	b.ingested.failNext.Store(1)
	resp := tusRequest(t, http.MethodPatch, url, data, map[string]string{"Upload-Offset": "0"})
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("PATCH whose ingestion failed = %d, want 500", resp.StatusCode)
	}
	if _, ok := b.ingested.bytes("acme", "cats/retry.jpg"); ok {
		t.Fatal("ingested although the ingester failed")
	}
	resp = tusRequest(t, http.MethodHead, url, nil, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Upload-Offset") != resp.Header.Get("Upload-Length") {
		t.Fatalf("HEAD after the failure = %d offset %s", resp.StatusCode, resp.Header.Get("Upload-Offset"))
	}
	if got, _ := b.ingested.bytes("acme", "cats/retry.jpg"); !bytes.Equal(got, data) {
		t.Fatalf("after the HEAD, ingested %d bytes, want %d", len(got), len(data))
	}
}
