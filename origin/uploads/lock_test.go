package uploads_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	mc "github.com/minio/minio-go/v7"

	"pixcdn/origin/uploads/tusclient"

	"pixcdn/internal/testenv"
)

// A request on one origin makes another origin's stalled PATCH on the same
// upload let go: the PATCH keeps what it received, and the waiter sees it.
func TestSecondOriginTakesOverAStalledPatch(t *testing.T) {
	b := newBackend(t)
	first, second := b.start(t, testConfig()), b.start(t, testConfig())
	data := randomBytes(t, 12<<20)
	url := create(t, first, len(data), "cats/shared.jpg")

	body, feed := io.Pipe()
	patchDone := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPatch, url, body)
		req.ContentLength = int64(len(data))
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Authorization", "Bearer key-acme")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		req.Header.Set("Upload-Offset", "0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			patchDone <- nil
			return
		}
		resp.Body.Close()
		patchDone <- resp
	}()
	sent := 6<<20 + 1000
	if _, err := feed.Write(data[:sent]); err != nil {
		t.Fatal(err)
	}
	// The first origin now holds the lease and waits for more body.
	start := time.Now()
	waitForPart(t, b, url)
	t.Logf("part after %v", time.Since(start))

	onSecond := onServer(url, second)
	client := &tusclient.Client{Key: "key-acme"}
	ctx, cancel := context.WithTimeout(testenv.Context(t), 15*time.Second)
	defer cancel()
	offset, _, err := client.Offset(ctx, onSecond)
	t.Logf("HEAD after %v", time.Since(start))
	if err != nil {
		t.Fatalf("HEAD on the second origin while the first holds the upload: %v", err)
	}
	// The first origin kept what it read before letting go: at least its
	// first part, at most what was sent.
	if offset < 5<<20 || offset > int64(sent) {
		t.Fatalf("second origin sees offset %d, want between %d and the %d bytes sent", offset, 5<<20, sent)
	}
	feed.CloseWithError(io.ErrClosedPipe)
	<-patchDone
	t.Logf("PATCH done after %v", time.Since(start))

	res, err := client.Upload(ctx, "", bytes.NewReader(data), int64(len(data)), nil, tusclient.Options{ResumeURL: onSecond})
	if err != nil {
		t.Fatalf("finishing on the second origin: %v", err)
	}
	if res.Version == 0 {
		t.Fatalf("no version after completion: %+v", res)
	}
	if got, _ := b.ingested.bytes("acme", "cats/shared.jpg"); !bytes.Equal(got, data) {
		t.Fatalf("ingested %d bytes, want %d", len(got), len(data))
	}
}

// waitForPart polls until the upload's first part is in MinIO, so the
// server has consumed at least that much of the body and holds the lease.
func waitForPart(t *testing.T, b *backend, url string) {
	t.Helper()
	key := "uploads/acme/" + url[strings.LastIndex(url, "/")+1:]
	core := &mc.Core{Client: b.client}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for u := range b.client.ListIncompleteUploads(testenv.Context(t), b.bucket, key, false) {
			parts, err := core.ListObjectParts(testenv.Context(t), b.bucket, key, u.UploadID, 0, 10)
			if err == nil && len(parts.ObjectParts) > 0 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the PATCH never sent its first part")
}
