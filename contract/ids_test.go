package contract

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPublicID(t *testing.T) {
	for id, ok := range map[string]bool{
		"cats/tom.jpg": true, "a": true, "ünïcode/ok.png": true, "x@2x.png": true, "a_b/c-d.jpg": true,
		strings.Repeat("x", MaxPublicIDLen): true,
		"":                                  false, "/lead": false, "trail/": false, "a//b": false, "a/../b": false, "./a": false, "..": false,
		"a\x00b": false, "a\x7fb": false, "a?b": false, "a#b": false, "a%2fb": false, "a\\b": false,
		strings.Repeat("x", MaxPublicIDLen+1): false, "\xff\xfe": false, "\xc0\xae\xc0\xae": false,
	} {
		err := CheckPublicID(id)
		if (err == nil) != ok {
			t.Errorf("CheckPublicID(%q) = %v, want ok=%v", id, err, ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidID) {
			t.Errorf("CheckPublicID(%q) error %v does not wrap ErrInvalidID", id, err)
		}
	}
}

func TestCheckTenant(t *testing.T) {
	for tenant, ok := range map[string]bool{
		"acme": true, "a": true, "a-1": true, "9": true, strings.Repeat("a", MaxTenantLen): true,
		"": false, "-a": false, "a_b": false, "Acme": false, "a.b": false, "a/b": false,
		strings.Repeat("a", MaxTenantLen+1): false,
	} {
		err := CheckTenant(tenant)
		if (err == nil) != ok || ValidTenant(tenant) != ok {
			t.Errorf("CheckTenant(%q) = %v, want ok=%v", tenant, err, ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidID) {
			t.Errorf("CheckTenant(%q) error does not wrap ErrInvalidID", tenant)
		}
	}
}

// FuzzCheckPublicID: an accepted id is safe path material.
func FuzzCheckPublicID(f *testing.F) {
	for _, s := range []string{"cats/tom.jpg", "a/../b", "%2e%2e", "\xc0\xae"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if CheckPublicID(id) != nil {
			return
		}
		for seg := range strings.SplitSeq(id, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("accepted %q with segment %q", id, seg)
			}
		}
		if strings.ContainsAny(id, "\\?#%\x00") {
			t.Fatalf("accepted %q", id)
		}
	})
}
