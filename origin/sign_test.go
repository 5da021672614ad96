package origin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"pixcdn/origin"
)

// recordingSigner signs as "path?query|exp=UNIX" so a test sees what the
// origin handed it.
func recordingSigner(rawPath, rawQuery string, expires time.Time) string {
	exp := "never"
	if !expires.IsZero() {
		exp = time.Unix(expires.Unix(), 0).UTC().Format(time.RFC3339)
	}
	return rawPath + "?" + rawQuery + "|" + exp
}

// TestSignURLs: POST /v1/{tenant}/sign signs paths under the caller's
// tenant for editors and admins only, refuses paths elsewhere, bad public
// ids and queries already signed, and answers 404 when the origin has no
// signing key.
func TestSignURLs(t *testing.T) {
	h := newHarness(t)
	admin, editor, viewer := h.tenant("acme")
	h.tenant("other")
	signing := httptest.NewServer(h.svc.Handler(origin.HandlerOptions{SignURL: recordingSigner}))
	t.Cleanup(signing.Close)
	post := func(srv *httptest.Server, tenant, key, body string) (int, string) {
		code, _, b := h.doAt(srv.URL, http.MethodPost, "/v1/"+tenant+"/sign", key, strings.NewReader(body))
		return code, strings.TrimSpace(string(b))
	}

	code, body := post(signing, "acme", editor, `{"urls":["/acme/cats/tom%20cat.jpg?w=400&fm=auto","/acme/a.png"]}`)
	var got struct {
		URLs    []string `json:"urls"`
		Expires int64    `json:"expires"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("editor: %d %s", code, body)
	}
	want := []string{"/acme/cats/tom%20cat.jpg?w=400&fm=auto|never", "/acme/a.png?|never"}
	if strings.Join(got.URLs, " ") != strings.Join(want, " ") || got.Expires != 0 {
		t.Fatalf("editor got %+v, want %q and no expiry", got, want)
	}

	before := time.Now()
	code, body = post(signing, "acme", admin, `{"urls":["/acme/a.png?w=10"],"expires_in":3600}`)
	if code != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("admin with expiry: %d %s", code, body)
	}
	exp := time.Unix(got.Expires, 0)
	if exp.Before(before.Add(time.Hour-time.Second)) || exp.After(time.Now().Add(time.Hour)) {
		t.Fatalf("expires %v, want an hour from %v", exp, before)
	}
	if wantURL := "/acme/a.png?w=10|" + exp.UTC().Format(time.RFC3339); got.URLs[0] != wantURL {
		t.Fatalf("signed %q, want %q", got.URLs[0], wantURL)
	}

	for _, c := range []struct {
		name, tenant, key, body string
		code                    int
	}{
		{"viewer", "acme", viewer, `{"urls":["/acme/a.png"]}`, http.StatusForbidden},
		{"no key", "acme", "", `{"urls":["/acme/a.png"]}`, http.StatusUnauthorized},
		{"another tenant's path", "acme", editor, `{"urls":["/other/a.png"]}`, http.StatusBadRequest},
		{"another tenant's API", "other", editor, `{"urls":["/other/a.png"]}`, http.StatusForbidden},
		{"tenant prefix only", "acme", editor, `{"urls":["/acmex/a.png"]}`, http.StatusBadRequest},
		{"dot-dot segment", "acme", editor, `{"urls":["/acme/../other/a.png"]}`, http.StatusBadRequest},
		{"encoded dot-dot", "acme", editor, `{"urls":["/acme/%2e%2e/a.png"]}`, http.StatusBadRequest},
		{"full URL", "acme", editor, `{"urls":["http://edge/acme/a.png"]}`, http.StatusBadRequest},
		{"already signed", "acme", editor, `{"urls":["/acme/a.png?w=1&s=abc"]}`, http.StatusBadRequest},
		{"exp given", "acme", editor, `{"urls":["/acme/a.png?exp=1"]}`, http.StatusBadRequest},
		{"no urls", "acme", editor, `{"urls":[]}`, http.StatusBadRequest},
		{"too many urls", "acme", editor, `{"urls":[` + strings.Repeat(`"/acme/a.png",`, 64) + `"/acme/a.png"]}`, http.StatusBadRequest},
		{"expiry too far", "acme", editor, `{"urls":["/acme/a.png"],"expires_in":99999999}`, http.StatusBadRequest},
		{"negative expiry", "acme", editor, `{"urls":["/acme/a.png"],"expires_in":-1}`, http.StatusBadRequest},
		{"unknown field", "acme", editor, `{"urls":["/acme/a.png"],"key":"x"}`, http.StatusBadRequest},
	} {
		if code, body := post(signing, c.tenant, c.key, c.body); code != c.code {
			t.Errorf("%s: %d %s, want %d", c.name, code, body, c.code)
		}
	}

	if code, body := post(h.srv, "acme", editor, `{"urls":["/acme/a.png"]}`); code != http.StatusNotFound || !strings.Contains(body, "--sign-key") {
		t.Errorf("origin without a signing key: %d %q, want 404 naming --sign-key", code, body)
	}
}

// GET /v1/{tenant}/key tells a key what it may do on its tenant, and no
// one else's.
func TestKeyDescribesItsRole(t *testing.T) {
	h := newHarness(t)
	admin, editor, viewer := h.tenant("acme")
	h.tenant("other")
	for _, c := range []struct {
		key, role string
		write     bool
	}{{admin, "admin", true}, {editor, "editor", true}, {viewer, "viewer", false}} {
		code, _, b := h.do(http.MethodGet, "/v1/acme/key", c.key, nil)
		var got origin.KeyInfo
		if code != http.StatusOK || json.Unmarshal(b, &got) != nil {
			t.Fatalf("%s: %d %s", c.role, code, b)
		}
		if got != (origin.KeyInfo{Tenant: "acme", Role: origin.Role(c.role), Write: c.write}) {
			t.Errorf("%s key: %+v", c.role, got)
		}
	}
	if code, _, _ := h.do(http.MethodGet, "/v1/other/key", editor, nil); code != http.StatusForbidden {
		t.Errorf("another tenant's key: %d, want 403", code)
	}
	if code, _, _ := h.do(http.MethodGet, "/v1/acme/key", "", nil); code != http.StatusUnauthorized {
		t.Errorf("no key: %d, want 401", code)
	}
}
