package main

import (
	"strings"
	"testing"
)

func TestParseS3(t *testing.T) {
	cfg, err := parseS3("https://AK:S%2Fcret@minio.local:9000/bucket/")
	if err != nil || cfg.Endpoint != "minio.local:9000" || cfg.AccessKey != "AK" || cfg.SecretKey != "S/cret" || cfg.Bucket != "bucket" || !cfg.Secure {
		t.Fatalf("parseS3 = %+v, %v", cfg, err)
	}
	for _, bad := range []string{"", "minio:9000/b", "http://minio:9000/b", "http://a:b@minio:9000/", "ftp://a:b@h/b"} {
		if _, err := parseS3(bad); err == nil {
			t.Errorf("parseS3(%q) accepted", bad)
		}
	}
}

func TestOriginSettingsValidate(t *testing.T) {
	s := defaultOriginSettings()
	s.Postgres, s.S3 = "postgres://u@h/db", "http://a:b@h:9000/b"
	if _, _, _, err := s.configs(); err != nil {
		t.Fatalf("defaults with DSN and S3: %v", err)
	}
	s.AdminKey = "short"
	if _, _, _, err := s.configs(); err == nil || !strings.Contains(err.Error(), "AdminKey") {
		t.Fatalf("short admin key: %v", err)
	}
	s.AdminKey, s.Postgres = "", ""
	if _, _, _, err := s.configs(); err == nil {
		t.Fatal("missing DSN accepted")
	}
}
