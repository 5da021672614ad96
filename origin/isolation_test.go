package origin_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"pixcdn/internal/testenv"
)

// TestTenantIsolationOnEveryPath gives tenant beta's keys every route
// against tenant acme's data, and acme's keys beta's paths: nothing reads or
// changes across the boundary, not even listing with the other's prefix.
func TestTenantIsolationOnEveryPath(t *testing.T) {
	h := newHarness(t)
	acmeAdmin, acmeEditor, acmeViewer := h.tenant("acme")
	betaAdmin, betaEditor, betaViewer := h.tenant("beta")
	img := pngImage(t, 10, 10, 3)
	h.mustDo(http.StatusCreated, "PUT", "/v1/acme/images/secret/a.png?tags=private", acmeEditor, bytes.NewReader(img))

	for _, key := range []string{betaAdmin, betaEditor, betaViewer} {
		for _, c := range []struct {
			method, path, body string
		}{
			{"GET", "/v1/acme/images/secret/a.png", ""},
			{"GET", "/v1/acme/originals/secret/a.png", ""},
			{"HEAD", "/v1/acme/originals/secret/a.png", ""},
			{"GET", "/v1/acme/images?prefix=secret/", ""},
			{"GET", "/v1/acme/images?tag=private", ""},
			{"PATCH", "/v1/acme/images/secret/a.png", `{"visibility":"signed"}`},
			{"DELETE", "/v1/acme/images/secret/a.png", ""},
			{"PUT", "/v1/acme/images/secret/a.png", string(img)},
			{"PUT", "/v1/acme/images/new.png", string(img)},
			{"POST", "/v1/acme/purge", `{"prefix":"secret/"}`},
			{"POST", "/v1/acme/keys", `{"role":"admin"}`},
			{"POST", "/v1/tenants", `{"id":"gamma"}`},
			{"POST", "/v1/keys", `{"role":"edge"}`},
			{"GET", "/v1/events?after=0", ""},
		} {
			code, _, b := h.do(c.method, c.path, key, strings.NewReader(c.body))
			if code != http.StatusForbidden {
				t.Errorf("beta key: %s %s = %d %s, want 403", c.method, c.path, code, bytes.TrimSpace(b))
			}
		}
	}
	// Beta's own listing with acme's prefix and tag sees nothing.
	for _, q := range []string{"?prefix=secret/", "?tag=private", ""} {
		_, b := h.mustDo(http.StatusOK, "GET", "/v1/beta/images"+q, betaViewer, nil)
		if !strings.Contains(string(b), `"images":[]`) {
			t.Errorf("beta listing %s shows %s", q, b)
		}
	}
	h.mustDo(http.StatusNotFound, "GET", "/v1/beta/originals/secret/a.png", betaViewer, nil)
	h.mustDo(http.StatusNotFound, "GET", "/v1/beta/images/secret/a.png", betaViewer, nil)
	// Acme's keys cannot reach into beta either.
	for _, key := range []string{acmeAdmin, acmeEditor, acmeViewer} {
		code, _, _ := h.do("GET", "/v1/beta/images", key, nil)
		if code != http.StatusForbidden {
			t.Errorf("acme key listing beta = %d, want 403", code)
		}
	}
	// Acme's image is untouched.
	_, b := h.mustDo(http.StatusOK, "GET", "/v1/acme/images/secret/a.png", acmeViewer, nil)
	if im := decodeImage(t, b); im.Version != 1 || im.Visibility != "public" {
		t.Fatalf("acme image changed: %+v", im)
	}
	_, b = h.mustDo(http.StatusOK, "GET", "/v1/events?after=0&wait=10s", adminKey, nil)
	var feed struct{ Events []json.RawMessage }
	if err := json.Unmarshal(b, &feed); err != nil || len(feed.Events) != 1 {
		t.Fatalf("feed has %d events (%s), want acme's one upload", len(feed.Events), b)
	}
}

func TestRolesAndKeys(t *testing.T) {
	h := newHarness(t)
	admin, editor, viewer := h.tenant("acme")
	edge := h.systemKey("edge")
	img := pngImage(t, 4, 4, 1)
	h.mustDo(http.StatusUnauthorized, "GET", "/v1/acme/images", "", nil)
	h.mustDo(http.StatusUnauthorized, "GET", "/v1/acme/images", "pk_unknown", nil)
	h.mustDo(http.StatusForbidden, "PUT", "/v1/acme/images/a.png", viewer, bytes.NewReader(img))
	h.mustDo(http.StatusForbidden, "POST", "/v1/acme/keys", editor, strings.NewReader(`{"role":"viewer"}`))
	h.mustDo(http.StatusCreated, "POST", "/v1/acme/keys", admin, strings.NewReader(`{"role":"viewer"}`))
	h.mustDo(http.StatusBadRequest, "POST", "/v1/acme/keys", admin, strings.NewReader(`{"role":"edge"}`))
	h.mustDo(http.StatusForbidden, "POST", "/v1/tenants", admin, strings.NewReader(`{"id":"x"}`))
	h.mustDo(http.StatusConflict, "POST", "/v1/tenants", adminKey, strings.NewReader(`{"id":"acme"}`))
	h.mustDo(http.StatusBadRequest, "POST", "/v1/tenants", adminKey, strings.NewReader(`{"id":"Bad Name"}`))
	h.mustDo(http.StatusCreated, "PUT", "/v1/acme/images/a.png", admin, bytes.NewReader(img))
	// The edge reads originals and the feed, nothing else.
	h.mustDo(http.StatusOK, "GET", "/v1/acme/originals/a.png", edge, nil)
	h.mustDo(http.StatusOK, "GET", "/v1/events?after=0", edge, nil)
	h.mustDo(http.StatusForbidden, "GET", "/v1/acme/images/a.png", edge, nil)
	h.mustDo(http.StatusForbidden, "PUT", "/v1/acme/images/a.png", edge, bytes.NewReader(img))
	h.mustDo(http.StatusForbidden, "GET", "/v1/events?after=0", viewer, nil)
	// Keys are stored hashed: the database never holds the key itself.
	var stored int
	row := h.db.Pool().QueryRow(testenv.Context(t), `SELECT count(*) FROM api_keys WHERE encode(hash, 'escape') LIKE '%' || $1 || '%'`, editor[3:12])
	if err := row.Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("a key appears in api_keys (%d rows, err %v)", stored, err)
	}
}
