package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pixcdn/edge/imgurl"
	"pixcdn/internal/config"
)

const testSignKey = "0123456789abcdef-sign-key"

var signNow = time.Unix(1_800_000_000, 0)

// runSignArgs loads `pixcdn sign` settings from args and env, as main does,
// and runs it at signNow.
func runSignArgs(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	s := signCommand().newSettings().(*signSettings)
	rest, err := config.Load(config.Spec{Command: "pixcdn sign", Settings: s, Environ: env}, args)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	err = runSign(s, rest, signNow, &out)
	return out.String(), err
}

// verifyEdgeURL parses a printed URL the way an edge does at now.
func verifyEdgeURL(t *testing.T, printed string, now time.Time) (imgurl.Request, error) {
	t.Helper()
	p, err := imgurl.New(imgurl.Config{SignKeys: [][]byte{[]byte(testSignKey)}, RequireSignature: true})
	if err != nil {
		t.Fatal(err)
	}
	rest := printed
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
		rest = rest[strings.IndexByte(rest, '/'):]
	}
	rawPath, rawQuery, _ := strings.Cut(rest, "?")
	return p.ParseAt(rawPath, rawQuery, now)
}

func TestSignPrintsURLsEdgesAccept(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "sign.key")
	if err := os.WriteFile(keyFile, []byte(testSignKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runSignArgs(t, []string{"PIXCDN_KEY_FILE=" + keyFile}, "--exp", "1h", "--base", "https://cdn.example",
		"/acme/cats/tom.jpg?w=400&fm=auto", "http://127.0.0.1:8080/acme/x.jpg")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "https://cdn.example/acme/cats/tom.jpg?w=400&fm=auto&exp=1800003600&s=") ||
		!strings.HasPrefix(lines[1], "http://127.0.0.1:8080/acme/x.jpg?exp=1800003600&s=") {
		t.Fatalf("printed:\n%s", out)
	}
	for _, line := range lines {
		if r, err := verifyEdgeURL(t, line, signNow.Add(59*time.Minute)); err != nil || !r.Signed {
			t.Errorf("%s before expiry: %+v, %v", line, r, err)
		}
		if _, err := verifyEdgeURL(t, line, signNow.Add(time.Hour)); !errors.Is(err, imgurl.ErrSignature) {
			t.Errorf("%s at expiry: %v; want ErrSignature", line, err)
		}
	}
	out, err = runSignArgs(t, nil, "--key", testSignKey, "/acme/a%20b.jpg?w=1")
	if r, verr := verifyEdgeURL(t, strings.TrimSpace(out), signNow.Add(1000*time.Hour)); err != nil || verr != nil || !r.Expires.IsZero() {
		t.Fatalf("without --exp: %q, %v, %v, %+v", out, err, verr, r)
	}
}

func TestSignRefusesBadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"/acme/x.jpg"}, "--key"},
		{[]string{"--key", "short", "/acme/x.jpg"}, "16 bytes"},
		{[]string{"--key", testSignKey}, "no URL"},
		{[]string{"--key", testSignKey, "/acme/x.jpg?w=1&s=abc"}, "already carries s="},
		{[]string{"--key", testSignKey, "/acme/x.jpg?exp=5"}, "already carries exp="},
		{[]string{"--key", testSignKey, "/acme/../x.jpg"}, "TENANT"},
		{[]string{"--key", testSignKey, "--base", "ftp://x", "/acme/x.jpg"}, "--base"},
	}
	for _, c := range cases {
		_, err := runSignArgs(t, nil, c.args...)
		var usage usageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("pixcdn sign %v: %v; want a usage error naming %q", c.args, err, c.want)
		}
	}
}

// TestOriginSignsWhatEdgesAccept: the signer the origin's POST
// /v1/{tenant}/sign uses (pixcdn origin --sign-key) makes URLs an edge
// with the same key accepts, until their expiry.
func TestOriginSignsWhatEdgesAccept(t *testing.T) {
	sign := urlSigner([]byte(testSignKey))
	forever := sign("/acme/cats/tom%20cat.jpg", "w=400&fm=auto", time.Time{})
	if r, err := verifyEdgeURL(t, forever, signNow.Add(1000*time.Hour)); err != nil || !r.Signed || !r.Expires.IsZero() {
		t.Fatalf("%s: %+v, %v", forever, r, err)
	}
	hour := sign("/acme/a.png", "", signNow.Add(time.Hour))
	if r, err := verifyEdgeURL(t, hour, signNow.Add(59*time.Minute)); err != nil || !r.Signed {
		t.Fatalf("%s before expiry: %+v, %v", hour, r, err)
	}
	if _, err := verifyEdgeURL(t, hour, signNow.Add(time.Hour)); !errors.Is(err, imgurl.ErrSignature) {
		t.Fatalf("%s at expiry: %v, want ErrSignature", hour, err)
	}
}
