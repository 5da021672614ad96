package minio_test

import (
	"os"
	"testing"

	"pixcdn/internal/testenv"
	"pixcdn/origin/minio"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// newStore returns a Store over a fresh bucket of the shared test MinIO.
func newStore(t *testing.T) *minio.Store {
	t.Helper()
	m := testenv.MinIO(t)
	s, err := minio.New(testenv.Context(t), minio.Config{Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey, Bucket: m.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
