package origin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"pixcdn/origin"
)

// TestUploadsGate: the tus handler is reached only by editors and admins
// of the path's tenant (OPTIONS excepted), with the principal attached.
func TestUploadsGate(t *testing.T) {
	h := newHarness(t)
	admin, editor, viewer := h.tenant("acme")
	betaAdmin, _, _ := h.tenant("beta")
	reached := make(chan origin.Principal, 10)
	tus := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := origin.PrincipalFrom(r.Context())
		reached <- p
		w.WriteHeader(http.StatusNoContent)
	})
	h.srv = httptest.NewServer(h.svc.Handler(origin.HandlerOptions{Uploads: tus}))
	defer h.srv.Close()
	for _, c := range []struct {
		method, path, key string
		want              int
	}{
		{"POST", "/v1/acme/uploads", editor, http.StatusNoContent},
		{"PATCH", "/v1/acme/uploads/abc", admin, http.StatusNoContent},
		{"HEAD", "/v1/acme/uploads/abc", adminKey, http.StatusNoContent},
		{"OPTIONS", "/v1/acme/uploads/", "", http.StatusNoContent},
		{"POST", "/v1/acme/uploads/", viewer, http.StatusForbidden},
		{"PATCH", "/v1/acme/uploads/abc", betaAdmin, http.StatusForbidden},
		{"DELETE", "/v1/acme/uploads/abc", "", http.StatusUnauthorized},
	} {
		code, _, _ := h.do(c.method, c.path, c.key, nil)
		if code != c.want {
			t.Errorf("%s %s = %d, want %d", c.method, c.path, code, c.want)
		}
	}
	if len(reached) != 4 {
		t.Fatalf("handler reached %d times, want 4", len(reached))
	}
	if p := <-reached; p.Tenant != "acme" || p.Role != origin.RoleEditor {
		t.Fatalf("principal %+v, want acme editor", p)
	}
}
