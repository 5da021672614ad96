package uploads

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseChecksum(t *testing.T) {
	sha1Sum := sha1.Sum([]byte("abc"))
	sha256Sum := sha256.Sum256([]byte("abc"))
	b64 := base64.StdEncoding.EncodeToString
	cases := []struct {
		header string
		algo   string
		err    error
	}{
		{"", "", nil},
		{"sha1 " + b64(sha1Sum[:]), "sha1", nil},
		{"SHA256 " + b64(sha256Sum[:]), "sha256", nil},
		{"sha256 " + b64(sha1Sum[:]), "", ErrChecksumSyntax}, // wrong length
		{"sha1", "", ErrChecksumSyntax},
		{"sha1 !!!", "", ErrChecksumSyntax},
		{"crc32 AAAAAA==", "", ErrChecksumAlgorithm},
	}
	for _, tc := range cases {
		c, err := parseChecksum(tc.header)
		if !errors.Is(err, tc.err) {
			t.Errorf("parseChecksum(%q) error = %v, want %v", tc.header, err, tc.err)
			continue
		}
		if tc.algo == "" {
			if c != nil && tc.err == nil {
				t.Errorf("parseChecksum(%q) = %+v, want nil", tc.header, c)
			}
			continue
		}
		if c.algorithm != tc.algo {
			t.Errorf("parseChecksum(%q) algorithm %q, want %q", tc.header, c.algorithm, tc.algo)
		}
		c.Write([]byte("ab"))
		c.Write([]byte("c"))
		if !c.matches() {
			t.Errorf("parseChecksum(%q) does not match the digest of abc", tc.header)
		}
	}
}

func FuzzParseChecksum(f *testing.F) {
	f.Add("sha1 qZk+NkcGgWq6PiVxeFDCbJzQ2J0=")
	f.Add("md5 AAAA")
	f.Add(" sha256  ")
	f.Fuzz(func(t *testing.T, header string) {
		c, err := parseChecksum(header)
		if err == nil && c != nil && len(c.want) != c.hash.Size() {
			t.Fatalf("accepted %q with a %d-byte digest for %s", header, len(c.want), c.algorithm)
		}
	})
}

func TestSplitPath(t *testing.T) {
	cases := []struct {
		path, tenant, id string
		ok               bool
	}{
		{"/v1/acme/uploads", "acme", "", true},
		{"/v1/acme/uploads/", "acme", "", true},
		{"/v1/acme/uploads/abc", "acme", "abc", true},
		{"/v1/acme/uploads/abc/", "acme", "abc", true},
		{"/v1/acme/uploadsx", "", "", false},
		{"/v1/acme/uploads/a/b", "", "", false},
		{"/v1//uploads/a", "", "", false},
		{"/v2/acme/uploads/a", "", "", false},
		{"/v1/acme", "", "", false},
	}
	for _, tc := range cases {
		tenant, id, ok := splitPath(tc.path)
		if ok != tc.ok || (ok && (tenant != tc.tenant || id != tc.id)) {
			t.Errorf("splitPath(%q) = %q, %q, %v; want %q, %q, %v", tc.path, tenant, id, ok, tc.tenant, tc.id, tc.ok)
		}
	}
}

func FuzzSplitPath(f *testing.F) {
	f.Add("/v1/acme/uploads/0123")
	f.Add("/v1/a/uploads//")
	f.Fuzz(func(t *testing.T, path string) {
		tenant, id, ok := splitPath(path)
		if ok && (tenant == "" || strings.Contains(tenant, "/") || strings.Contains(id, "/")) {
			t.Fatalf("splitPath(%q) = %q, %q accepted", path, tenant, id)
		}
	})
}

func TestCheckPublicID(t *testing.T) {
	for id, ok := range map[string]bool{
		"cats/tom.jpg": true, "a": true, "": false, "/abs.jpg": false, "a//b": false,
		"a/../b": false, "./a": false, "a\x00b": false, `a\b`: false, strings.Repeat("x", 600): false,
	} {
		if err := checkPublicID(id); (err == nil) != ok {
			t.Errorf("checkPublicID(%q) = %v, want ok=%v", id, err, ok)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig is invalid: %v", err)
	}
	bad := map[string]func(*Config){
		"part below 5 MiB":         func(c *Config) { c.PartSize = 1 << 20 },
		"expiry of a day":          func(c *Config) { c.Expiry = 24 * time.Hour },
		"no expiry":                func(c *Config) { c.Expiry = 0 },
		"lease shorter than renew": func(c *Config) { c.LockTTL = c.LockRenew },
		"too many parts":           func(c *Config) { c.MaxSize = 10000 * int64(c.PartSize) },
		"no max size":              func(c *Config) { c.MaxSize = 0 },
	}
	for name, mutate := range bad {
		c := DefaultConfig()
		mutate(&c)
		if c.Validate() == nil {
			t.Errorf("%s: Validate accepted %+v", name, c)
		}
	}
}
