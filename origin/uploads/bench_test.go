package uploads_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"testing"

	"pixcdn/origin/uploads/tusclient"
)

// BenchmarkTusUpload measures a whole resumable upload through the handler
// over real PostgreSQL and MinIO (create, PATCHes with sha256 checksums,
// parts, ledger commits, assembly, reading the object back for ingestion
// into the recorder), for file sizes and PATCH sizes. MB/s is file bytes.
func BenchmarkTusUpload(b *testing.B) {
	for _, size := range []int{5_000_000, 30_000_000} {
		for _, chunk := range []int{1 << 20, 8 << 20, 64 << 20} {
			b.Run(fmt.Sprintf("size=%dMB/chunk=%dMiB", size/1_000_000, chunk>>20), func(b *testing.B) {
				benchUpload(b, size, chunk)
			})
		}
	}
}

func benchUpload(b *testing.B, size, chunk int) {
	be := newBackend(b)
	be.ingested.discard = true
	o := be.start(b, testConfig())
	data := make([]byte, size)
	rand.Read(data)
	client := &tusclient.Client{Key: "key-acme"}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		publicID := fmt.Sprintf("bench/%d.bin", i)
		_, err := client.Upload(context.Background(), o.endpoint("acme"), bytes.NewReader(data), int64(size),
			map[string]string{"public_id": publicID}, tusclient.Options{ChunkSize: chunk})
		if err != nil {
			b.Fatal(err)
		}
	}
}
