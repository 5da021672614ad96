package tusclient

import (
	"maps"
	"net/http"
	"testing"

	"github.com/tus/tusd/v2/pkg/handler"
)

func FuzzEncodeMetadataRoundTrips(f *testing.F) {
	f.Add("public_id", "cats/tom.jpg", "tags", "a,b")
	f.Add("k", "", "x", "ünïcode, spaces and = signs")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		in := map[string]string{k1: v1, k2: v2}
		for k := range in {
			if !ValidMetadataKey(k) {
				delete(in, k) // EncodeMetadata leaves it out
			}
		}
		if got := handler.ParseMetadataHeader(EncodeMetadata(in)); !maps.Equal(got, in) {
			t.Fatalf("EncodeMetadata(%q) parsed back as %q", in, got)
		}
	})
}

func TestEndpoint(t *testing.T) {
	for base, want := range map[string]string{
		"http://127.0.0.1:8090":   "http://127.0.0.1:8090/v1/acme/uploads/",
		"https://origin.example/": "https://origin.example/v1/acme/uploads/",
	} {
		if got, err := Endpoint(base, "acme"); err != nil || got != want {
			t.Errorf("Endpoint(%q) = %q, %v; want %q", base, got, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x", "127.0.0.1:8090", "::"} {
		if _, err := Endpoint(bad, "acme"); err == nil {
			t.Errorf("Endpoint(%q) accepted", bad)
		}
	}
}

func TestTemporaryStatuses(t *testing.T) {
	for code, want := range map[int]bool{
		http.StatusInternalServerError: true, http.StatusServiceUnavailable: true, http.StatusConflict: true,
		http.StatusLocked: true, 460: true, http.StatusNotFound: false, http.StatusForbidden: false,
		http.StatusUnsupportedMediaType: false, http.StatusRequestEntityTooLarge: false,
	} {
		if got := (&StatusError{Code: code}).Temporary(); got != want {
			t.Errorf("Temporary(%d) = %v, want %v", code, got, want)
		}
	}
}
