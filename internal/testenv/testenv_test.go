package testenv_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"pixcdn/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestPostgresRoundTrip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dsnA, dsnB := testenv.Postgres(t), testenv.Postgres(t)
	if dsnA == dsnB {
		t.Fatalf("two calls returned the same database %q", dsnA)
	}
	conn, err := pgx.Connect(ctx, dsnA)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE t (id int PRIMARY KEY, v text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO t VALUES (1, 'pixcdn')`); err != nil {
		t.Fatal(err)
	}
	var v, version string
	if err := conn.QueryRow(ctx, `SELECT v, version() FROM t WHERE id = 1`).Scan(&v, &version); err != nil {
		t.Fatal(err)
	}
	if v != "pixcdn" {
		t.Fatalf("read back %q, want pixcdn", v)
	}
	t.Logf("server: %s", version)
}

func TestMinIOPutGetDelete(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := testenv.MinIO(t)
	client, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("pixcdn"), 1000)
	if _, err := client.PutObject(ctx, srv.Bucket, "a/b.bin", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("put: %v", err)
	}
	obj, err := client.GetObject(ctx, srv.Bucket, "a/b.bin", minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read back %d bytes (err %v), want %d identical bytes", len(got), err, len(body))
	}
	if err := client.RemoveObject(ctx, srv.Bucket, "a/b.bin", minio.RemoveObjectOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := client.StatObject(ctx, srv.Bucket, "a/b.bin", minio.StatObjectOptions{}); minio.ToErrorResponse(err).Code != "NoSuchKey" {
		t.Fatalf("stat after delete: %v, want NoSuchKey", err)
	}
}
