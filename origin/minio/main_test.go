package minio_test

import (
	"context"
	"os"
	"testing"
	"time"

	"pixcdn/internal/testenv"
	"pixcdn/origin/minio"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// newStore returns a Store over a fresh bucket of the shared test MinIO.
func newStore(t *testing.T) *minio.Store {
	t.Helper()
	m := testenv.MinIO(t)
	s, err := minio.New(testContext(t), minio.Config{Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey, Bucket: m.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
