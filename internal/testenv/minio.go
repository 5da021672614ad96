package testenv

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"pixcdn/internal/localserver"
)

// MinIOServer is where a test's bucket lives.
type MinIOServer struct {
	// Endpoint is host:port of the S3 API (plain HTTP).
	Endpoint  string
	AccessKey string
	SecretKey string
	// Bucket is a fresh, empty bucket made for this test.
	Bucket string
}

type minioServer struct {
	*localserver.MinIO
	client  *minio.Client
	buckets atomic.Int64
}

// MinIO returns the endpoint and root credentials of this test binary's
// throwaway MinIO server (started on first use) and a fresh bucket in it.
func MinIO(t testing.TB) MinIOServer {
	t.Helper()
	srv, err := sharedMinIO()
	if err != nil {
		Unavailable(t, "MinIO", err)
	}
	bucket := fmt.Sprintf("test-%d", srv.buckets.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("testenv: make bucket: %v", err)
	}
	return MinIOServer{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Bucket: bucket}
}

func sharedMinIO() (*minioServer, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.minio != nil || shared.minioErr != nil {
		return shared.minio, shared.minioErr
	}
	shared.minio, shared.minioErr = startMinIO()
	return shared.minio, shared.minioErr
}

func startMinIO() (*minioServer, error) {
	dir, err := scratchDir("minio")
	if err != nil {
		return nil, err
	}
	ctx, cancel := startContext()
	defer cancel()
	m, err := localserver.StartMinIO(ctx, localserver.MinIOConfig{
		Dir: dir, AccessKey: "pixcdn-test", SecretKey: "pixcdn-test-secret",
	})
	if err != nil {
		return nil, err
	}
	shared.stops = append(shared.stops, func() { m.Stop(10 * time.Second) })
	client, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, "")})
	if err != nil {
		return nil, err
	}
	return &minioServer{MinIO: m, client: client}, nil
}
