package imgurl

import (
	"bytes"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"pixcdn/contract"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		path, tenant, id string
		ok               bool
	}{
		{"/acme/cats/tom.jpg", "acme", "cats/tom.jpg", true},
		{"/acme/a%20b.png", "acme", "a b.png", true},
		{"/acme/caf%C3%A9.jpg", "acme", "café.jpg", true},
		{"/a-1/x_y", "a-1", "x_y", true},
		{"/a_b-1/x", "", "", false}, // the origin refuses '_' in tenants
		{"/acme/%252F", "", "", false},
		{"/acme/%252e%252e", "", "", false},
		{"/acme/%C0%AE%C0%AE", "", "", false},
		{"/acme/%FF%FE", "", "", false},
		{"/acme/a%3Fb", "", "", false},
		{"/acme/a%23b", "", "", false},
		{"/acme", "", "", false},
		{"/acme/", "", "", false},
		{"acme/x", "", "", false},
		{"/ACME/x", "", "", false},
		{"/-acme/x", "", "", false},
		{"/acme/../etc/passwd", "", "", false},
		{"/acme/%2e%2e/etc/passwd", "", "", false},
		{"/acme/a/./b", "", "", false},
		{"/acme/a//b", "", "", false},
		{"/acme/a/", "", "", false},
		{"/acme/a%00b", "", "", false},
		{"/acme/a%5cb", "", "", false},
		{"/acme/a%zz", "", "", false},
		{"/ac%2Fme/x", "", "", false},
		{"/acme/" + strings.Repeat("x", contract.MaxPublicIDLen+1), "", "", false},
	}
	for _, c := range cases {
		tenant, id, err := Split(c.path)
		if c.ok != (err == nil) || tenant != c.tenant || id != c.id {
			t.Errorf("Split(%q) = %q, %q, %v; want %q, %q, ok=%v", c.path, tenant, id, err, c.tenant, c.id, c.ok)
		}
		if err != nil && !errors.Is(err, ErrBadPath) && !errors.Is(err, ErrBadID) {
			t.Errorf("Split(%q) error %v wraps neither ErrBadPath nor ErrBadID", c.path, err)
		}
	}
}

func testParser(t *testing.T, cfg Config) *Parser {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	key1 = []byte("0123456789abcdef-key-one")
	key2 = []byte("0123456789abcdef-key-two")
)

func TestParseOptionsAndPresets(t *testing.T) {
	p := testParser(t, Config{Presets: map[string]string{"thumb": "w=200&h=200&fit=cover"}})
	cases := []struct{ query, want string }{
		{"", ""},
		{"w=400&fm=auto", "fm=auto&w=400"},
		{"fm=auto&w=400", "fm=auto&w=400"},
		{"p=thumb", "fit=cover&h=200&w=200"},
		{"p=thumb&w=100", "fit=cover&h=200&w=100"},
		{"w=1&", "w=1"},
	}
	for _, c := range cases {
		r, err := p.Parse("/acme/x.jpg", c.query)
		if err != nil || r.Options != c.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", c.query, r.Options, err, c.want)
		}
	}
	for _, bad := range []string{"p=nope", "w=1&w=2", "=1", "w=%zz"} {
		if _, err := p.Parse("/acme/x.jpg", bad); !errors.Is(err, ErrBadQuery) {
			t.Errorf("Parse(%q) error = %v; want ErrBadQuery", bad, err)
		}
	}
}

func TestPresetsOnly(t *testing.T) {
	p := testParser(t, Config{PresetsOnly: true, Presets: map[string]string{"thumb": "w=200"}})
	if r, err := p.Parse("/acme/x.jpg", "p=thumb"); err != nil || r.Options != "w=200" {
		t.Fatalf("preset: %q, %v", r.Options, err)
	}
	if r, err := p.Parse("/acme/x.jpg", ""); err != nil || r.Options != "" {
		t.Fatalf("original: %q, %v", r.Options, err)
	}
	_, err := p.Parse("/acme/x.jpg", "p=thumb&w=300")
	if !errors.Is(err, ErrBadQuery) || !strings.Contains(err.Error(), "w:") {
		t.Fatalf("explicit option in presets-only mode: %v", err)
	}
}

func TestSignatures(t *testing.T) {
	p := testParser(t, Config{SignKeys: [][]byte{key2, key1}})
	path, query := "/acme/cats/tom.jpg", "w=400&fm=webp"
	signed := SignURL(key1, path, query) // made with the older key: rotation
	_, q, _ := strings.Cut(signed, "?")
	r, err := p.Parse(path, q)
	if err != nil || !r.Signed || r.Options != "fm=webp&w=400" {
		t.Fatalf("valid signature: %+v, %v", r, err)
	}
	// s may appear anywhere; the rest keeps its order.
	sig := Sign(key2, path, query)
	if r, err := p.Parse(path, "s="+sig+"&"+query); err != nil || !r.Signed {
		t.Fatalf("signature first: %v", err)
	}
	if r, err := p.Parse(path, "s="+Sign(key2, path, "")); err != nil || !r.Signed {
		t.Fatalf("signature without options: %v", err)
	}
	for _, bad := range []string{
		query + "&s=" + Sign([]byte("another-key-0123456789"), path, query),
		"fm=webp&w=400&s=" + sig, // reordered after signing
		"w=401&fm=webp&s=" + sig, // tampered
		query + "&s=" + sig + "x",
		query + "&s=",
	} {
		if _, err := p.Parse(path, bad); !errors.Is(err, ErrSignature) {
			t.Errorf("Parse(%q) = %v; want ErrSignature", bad, err)
		}
	}
	if r, err := p.Parse(path, query); err != nil || r.Signed {
		t.Errorf("unsigned URL, signatures optional: %+v, %v", r, err)
	}
	req := testParser(t, Config{SignKeys: [][]byte{key1}, RequireSignature: true})
	if _, err := req.Parse(path, query); !errors.Is(err, ErrSignature) {
		t.Errorf("unsigned URL, signatures required: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{RequireSignature: true},
		{SignKeys: [][]byte{[]byte("short")}},
		{Presets: map[string]string{"": "w=1"}},
		{Presets: map[string]string{"a": "p=b"}},
		{Presets: map[string]string{"a": "w=1&w=2"}},
	}
	for i, c := range bad {
		if c.Validate() == nil {
			t.Errorf("config %d: Validate accepted %+v", i, c)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestKeysDoNotCollide(t *testing.T) {
	a := VariantKey("acme", "a|b", "w=1", "webp")
	b := VariantKey("acme", "a", "b|w=1", "webp")
	if bytes.Equal(a, b) {
		t.Fatal("variant keys collide")
	}
	if bytes.Equal(OriginalKey("acme", "x"), VariantKey("acme", "x", "", "")) {
		t.Fatal("original and variant keys collide")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("/acme/cats/tom.jpg", "w=400&fm=auto&s=abc")
	f.Add("/acme/%2e%2e/x", "p=thumb&w=1")
	f.Add("/a/b", "s=&s=&p=")
	f.Add("/acme/x.jpg", "info&exp=1")
	p, _ := New(Config{SignKeys: [][]byte{key1}, Presets: map[string]string{"thumb": "w=200"}})
	f.Fuzz(func(t *testing.T, path, query string) {
		r, err := p.Parse(path, query)
		if err != nil {
			return
		}
		if CheckTenant(r.Tenant) != nil || CheckPublicID(r.PublicID) != nil {
			t.Fatalf("accepted bad path %q → %+v", path, r)
		}
		for _, seg := range strings.Split(r.PublicID, "/") {
			if seg == ".." || seg == "." || seg == "" {
				t.Fatalf("escaping public id %q", r.PublicID)
			}
		}
		if r.Info && r.Options != "" {
			t.Fatalf("info with options %q", r.Options)
		}
		// Options are normalised: parsing them again is a fixed point.
		r2, err := p.expand(r.Options)
		if err != nil || r2 != r.Options {
			t.Fatalf("expand not idempotent: %q → %q, %v", r.Options, r2, err)
		}
		// Values are Options decoded, as transform.Parse would read them.
		if v, err := url.ParseQuery(r.Options); err != nil || (len(v) > 0 || r.Values != nil) && !reflect.DeepEqual(v, r.Values) {
			t.Fatalf("values %v of %q, parsed %v, %v", r.Values, r.Options, v, err)
		}
	})
}
