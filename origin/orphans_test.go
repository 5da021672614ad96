package origin_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"pixcdn/origin"
)

func TestSweepOrphansRemovesOnlyUnreferencedBlobs(t *testing.T) {
	h := newHarness(t)
	_, editor, _ := h.tenant("acme")
	kept := pngImage(t, 5, 5, 1)
	h.mustDo(http.StatusCreated, "PUT", "/v1/acme/images/kept.png", editor, bytes.NewReader(kept))
	// The bytes of an ingestion whose process died before committing.
	orphan := pngImage(t, 5, 5, 2)
	sum := sha256.Sum256(orphan)
	ctx := context.Background()
	if err := h.blobs.Put(ctx, origin.BlobKey("acme", hex.EncodeToString(sum[:])), bytes.NewReader(orphan), int64(len(orphan)), "image/png"); err != nil {
		t.Fatal(err)
	}
	if err := h.blobs.Put(ctx, "blobs/not-a-blob-key", bytes.NewReader(orphan), int64(len(orphan)), "x"); err != nil {
		t.Fatal(err)
	}
	if n, err := h.svc.SweepOrphans(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("sweep of young objects removed %d (err %v)", n, err)
	}
	n, err := h.svc.SweepOrphans(ctx, 0)
	if err != nil || n != 1 {
		t.Fatalf("sweep removed %d (err %v), want the one orphan", n, err)
	}
	if c := h.objectCount(); c != 2 {
		t.Fatalf("%d objects left, want the kept blob and the foreign key", c)
	}
	_, got := h.mustDo(http.StatusOK, "GET", "/v1/acme/originals/kept.png", editor, nil)
	if !bytes.Equal(got, kept) {
		t.Fatal("kept image damaged")
	}
}
