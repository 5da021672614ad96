package main

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestUploadTakesFlagsAfterFiles(t *testing.T) {
	s := defaultUploadSettings()
	files, err := uploadFiles(s, []string{"a.jpg", "--origin", "http://127.0.0.1:1", "b.jpg", "--quiet",
		"--tags=x,y", "--", "--odd-name.jpg"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.jpg", "b.jpg", "--odd-name.jpg"}; !slices.Equal(files, want) {
		t.Errorf("files = %q, want %q", files, want)
	}
	if s.Origin != "http://127.0.0.1:1" || !s.Quiet || !slices.Equal(s.Tags, []string{"x", "y"}) {
		t.Errorf("settings after trailing flags: %+v", s)
	}
	if _, err := uploadFiles(s, []string{"a.jpg", "--bogus", "1"}, io.Discard); err == nil {
		t.Error("an unknown trailing flag was accepted")
	}
}

func TestUploadPublicIDs(t *testing.T) {
	s := defaultUploadSettings()
	s.Prefix = "cats/"
	if got := s.publicID("/tmp/x/tom.jpg"); got != "cats/tom.jpg" {
		t.Errorf("publicID with prefix = %q", got)
	}
	s.ID = "dogs/rex.jpg"
	if got := s.publicID("/tmp/x/tom.jpg"); got != "dogs/rex.jpg" {
		t.Errorf("publicID with --id = %q", got)
	}
	if err := s.validate(2); err == nil {
		t.Error("--id with two files was accepted")
	}
}

func TestUploadUsageErrors(t *testing.T) {
	cases := map[string][]string{
		"no file":      {"upload", "--origin", "http://127.0.0.1:1", "--tenant", "acme", "--key", "k"},
		"no key":       {"upload", "a.jpg", "--origin", "http://127.0.0.1:1", "--tenant", "acme"},
		"bad origin":   {"upload", "a.jpg", "--origin", "ftp://x", "--tenant", "acme", "--key", "k"},
		"tiny chunk":   {"upload", "a.jpg", "--origin", "http://127.0.0.1:1", "--tenant", "acme", "--key", "k", "--chunk", "10"},
		"trailing bad": {"upload", "a.jpg", "--nope"},
	}
	for name, args := range cases {
		var stdout, stderr bytes.Buffer
		if code := runMain(context.Background(), args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%s: exit %d (stderr %q), want %d", name, code, stderr.String(), exitUsage)
		}
	}
}

func TestUploadReportsAMissingFileAndFails(t *testing.T) {
	var stdout, stderr bytes.Buffer
	s := defaultUploadSettings()
	s.Origin, s.Tenant, s.Key, s.StateDir = "http://127.0.0.1:1", "acme", "k", t.TempDir()
	err := runUpload(context.Background(), s, []string{"/nonexistent/file.jpg"}, &stdout, &stderr)
	if err == nil || !strings.Contains(stderr.String(), "/nonexistent/file.jpg") || stdout.Len() != 0 {
		t.Fatalf("err %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
	}
}
