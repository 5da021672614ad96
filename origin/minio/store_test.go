package minio_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"pixcdn/internal/testenv"
	"pixcdn/origin"
	"pixcdn/origin/minio"
)

func TestStoreContract(t *testing.T) {
	s := newStore(t)
	ctx := testenv.Context(t)
	body := bytes.Repeat([]byte("0123456789"), 1000)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "blobs/t/ab/abc", bytes.NewReader(body), int64(len(body)), "image/png"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Exists(ctx, "blobs/t/ab/abc"); !ok || err != nil {
		t.Fatalf("Exists = %v, %v", ok, err)
	}
	obj, err := s.Open(ctx, "blobs/t/ab/abc")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obj.Seek(9995, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	tail, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || string(tail) != "56789" {
		t.Fatalf("ranged read %q, %v", tail, err)
	}
	missing, err := s.Open(ctx, "blobs/t/no/none")
	if err == nil {
		_, err = missing.Read(make([]byte, 1))
		missing.Close()
	}
	if !errors.Is(err, origin.ErrNotFound) {
		t.Fatalf("missing object: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "blobs/t/ab/abc"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "blobs/t/ab/abc"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if ok, err := s.Exists(ctx, "blobs/t/ab/abc"); ok || err != nil {
		t.Fatalf("after delete Exists = %v, %v", ok, err)
	}
}

func TestNewMakesTheBucket(t *testing.T) {
	m := testenv.MinIO(t)
	cfg := minio.Config{Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey, Bucket: m.Bucket + "-made"}
	s, err := minio.New(testenv.Context(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(testenv.Context(t)); err != nil {
		t.Fatal(err)
	}
	again, err := minio.New(testenv.Context(t), cfg)
	if err != nil {
		t.Fatalf("second New over an existing bucket: %v", err)
	}
	again.Close()
	cfg.SecretKey = "wrong-secret"
	if _, err := minio.New(testenv.Context(t), cfg); err == nil {
		t.Fatal("New with a wrong secret succeeded")
	}
	if err := (minio.Config{Endpoint: "x"}).Validate(); err == nil {
		t.Fatal("Validate accepted a config without credentials")
	}
}
