package imgurl

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignedURLExpiry(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := testParser(t, Config{SignKeys: [][]byte{key1}, Now: func() time.Time { return now }})
	path := "/acme/cats/tom.jpg"
	signed := SignURLUntil(key1, path, "w=400&fm=webp", now.Add(time.Minute))
	_, query, _ := strings.Cut(signed, "?")
	if want := "w=400&fm=webp&exp=1800000060&s="; !strings.HasPrefix(query, want) {
		t.Fatalf("SignURLUntil query %q, want prefix %q", query, want)
	}
	r, err := p.Parse(path, query)
	if err != nil || !r.Signed || r.Options != "fm=webp&w=400" || !r.Expires.Equal(now.Add(time.Minute)) {
		t.Fatalf("before expiry: %+v, %v", r, err)
	}
	for _, at := range []time.Time{now.Add(time.Minute), now.Add(time.Hour)} {
		if _, err := p.ParseAt(path, query, at); !errors.Is(err, ErrSignature) {
			t.Errorf("ParseAt %v (expiry %v): %v; want ErrSignature", at, r.Expires, err)
		}
	}
	sig := query[strings.Index(query, "s=")+2:]
	for name, bad := range map[string]string{
		"exp extended":  "w=400&fm=webp&exp=1900000000&s=" + sig,
		"exp removed":   "w=400&fm=webp&s=" + sig,
		"exp reordered": "exp=1800000060&w=400&fm=webp&s=" + sig,
	} {
		if _, err := p.Parse(path, bad); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v; want ErrSignature", name, err)
		}
	}
	if r, err := p.Parse(path, strings.TrimPrefix(SignURLUntil(key1, path, "", now.Add(time.Second)), path+"?")); err != nil || r.Options != "" {
		t.Errorf("original with expiry: %+v, %v", r, err)
	}
}

func TestExpiryRefusedWhereMeaningless(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := testParser(t, Config{SignKeys: [][]byte{key1}})
	path := "/acme/x.jpg"
	if _, err := p.ParseAt(path, "w=1&exp=1900000000", now); !errors.Is(err, ErrBadQuery) {
		t.Errorf("exp without a signature: %v; want ErrBadQuery", err)
	}
	for _, exp := range []string{"abc", "-5", "+1900000000", "0", "1e10", "", "99999999999999", "1900000000.5"} {
		q := "w=1&exp=" + exp
		if _, err := p.ParseAt(path, q+"&s="+Sign(key1, path, q), now); !errors.Is(err, ErrBadQuery) {
			t.Errorf("signed exp=%q: %v; want ErrBadQuery", exp, err)
		}
	}
	if (Config{Presets: map[string]string{"a": "w=1&exp=1900000000"}}).Validate() == nil {
		t.Error("a preset setting exp was accepted")
	}
	only := testParser(t, Config{SignKeys: [][]byte{key1}, PresetsOnly: true, Presets: map[string]string{"thumb": "w=200"}})
	signed := SignURLUntil(key1, path, "p=thumb", now.Add(time.Hour))
	if r, err := only.ParseAt(path, strings.TrimPrefix(signed, path+"?"), now); err != nil || r.Options != "w=200" {
		t.Errorf("presets-only with exp: %+v, %v", r, err)
	}
}

func TestHasExpiry(t *testing.T) {
	cases := map[string]bool{
		"/a/b":                       false,
		"/a/b?w=1&fm=webp":           false,
		"/a/b?expx=1&xp=2":           false,
		"/a/b?w=1&exp=1900000000":    true,
		"/a/b?e%78p=1":               true,
		"/a/b?exp=1&s=x&s=y":         true,
		"/a/b?w=%zz":                 true, // undecodable: Parse refuses it; never memoise
		"/a/b?w=1&w=2&exp=1":         true,
		"/a/b?s=abc":                 false,
		"/a/b?w=1&s=sig%20with%25xp": false,
	}
	for uri, want := range cases {
		if got := HasExpiry(uri); got != want {
			t.Errorf("HasExpiry(%q) = %v, want %v", uri, got, want)
		}
	}
}

func TestPathRoundTrips(t *testing.T) {
	for _, c := range []struct{ tenant, id, want string }{
		{"acme", "cats/tom.jpg", "/acme/cats/tom.jpg"},
		{"acme", "a b/e+g.png", "/acme/a%20b/e+g.png"},
		{"acme", "café.jpg", "/acme/caf%C3%A9.jpg"},
	} {
		got, err := Path(c.tenant, c.id)
		if err != nil || got != c.want {
			t.Errorf("Path(%q, %q) = %q, %v; want %q", c.tenant, c.id, got, err, c.want)
			continue
		}
		if tenant, id, err := Split(got); err != nil || tenant != c.tenant || id != c.id {
			t.Errorf("Split(Path(%q, %q)) = %q, %q, %v", c.tenant, c.id, tenant, id, err)
		}
	}
	for _, bad := range [][2]string{{"ACME", "x"}, {"acme", "../x"}, {"acme", ""}, {"acme", "a//b"}} {
		if _, err := Path(bad[0], bad[1]); !errors.Is(err, ErrBadID) {
			t.Errorf("Path(%q, %q): %v; want ErrBadID", bad[0], bad[1], err)
		}
	}
}
