package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"pixcdn/internal/config"
)

func runURLArgs(t *testing.T, args ...string) (string, error) {
	t.Helper()
	s := urlCommand().newSettings().(*urlSettings)
	rest, err := config.Load(config.Spec{Command: "pixcdn url", Settings: s, Environ: []string{}}, args)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	err = runURL(s, rest, signNow, &out)
	return strings.TrimSuffix(out.String(), "\n"), err
}

func TestURLBuildsFromOptions(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"/acme/cats/tom.jpg"}, "/acme/cats/tom.jpg"},
		{[]string{"--w", "400", "--fm", "auto", "/acme/cats/tom.jpg"}, "/acme/cats/tom.jpg?w=400&fm=auto"},
		{[]string{"--base", "https://cdn.example/", "--fm", "webp", "--h", "300", "--fit", "cover", "--g", "fp:0.5,0.2", "/acme/a b.jpg"},
			"https://cdn.example/acme/a%20b.jpg?h=300&fit=cover&g=fp%3A0.5%2C0.2&fm=webp"},
		{[]string{"--p", "thumb", "--q", "70", "--bg", "ff000080", "--rot", "90", "--flip", "h", "--dpr", "2", "/acme/x.png"},
			"/acme/x.png?p=thumb&dpr=2&q=70&rot=90&flip=h&bg=ff000080"},
		{[]string{"--base", "https://cdn.example", "--fm", "auto", "--srcset", "320,640", "/acme/x.jpg"},
			"https://cdn.example/acme/x.jpg?w=320&fm=auto 320w, https://cdn.example/acme/x.jpg?w=640&fm=auto 640w"},
	}
	for _, c := range cases {
		got, err := runURLArgs(t, c.args...)
		if err != nil || got != c.want {
			t.Errorf("pixcdn url %v = %q, %v; want %q", c.args, got, err, c.want)
		}
	}
}

func TestURLSignsEachSrcsetCandidate(t *testing.T) {
	got, err := runURLArgs(t, "--key", testSignKey, "--exp", "10m", "--fm", "webp", "--srcset", "320,640,1280", "/acme/cats/tom.jpg")
	if err != nil {
		t.Fatal(err)
	}
	candidates := strings.Split(got, ", ")
	if len(candidates) != 3 {
		t.Fatalf("srcset %q: want 3 candidates", got)
	}
	for i, want := range []string{"320", "640", "1280"} {
		u, width, _ := strings.Cut(candidates[i], " ")
		if width != want+"w" {
			t.Errorf("candidate %d descriptor %q, want %sw", i, width, want)
		}
		r, err := verifyEdgeURL(t, u, signNow.Add(9*time.Minute))
		if err != nil || !r.Signed || r.Options != "fm=webp&w="+want {
			t.Errorf("candidate %q: %+v, %v", u, r, err)
		}
	}
}

func TestURLRefusesBadOptions(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--w", "9000", "/acme/x.jpg"}, "w:"},
		{[]string{"--fm", "bmp", "/acme/x.jpg"}, "fm:"},
		{[]string{"--srcset", "320,abc", "/acme/x.jpg"}, "--srcset"},
		{[]string{"--exp", "1h", "/acme/x.jpg"}, "needs a key"},
		{[]string{"/ACME/x.jpg"}, "TENANT"},
		{[]string{}, "one image path"},
	}
	for _, c := range cases {
		_, err := runURLArgs(t, c.args...)
		var usage usageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("pixcdn url %v: %v; want a usage error naming %q", c.args, err, c.want)
		}
	}
}
