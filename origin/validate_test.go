package origin

import "testing"

func TestValidatePublicID(t *testing.T) {
	for id, ok := range map[string]bool{
		"cats/tom.jpg": true, "a": true, "ünïcode/ok.png": true, "x@2x.png": true,
		"": false, "/lead": false, "trail/": false, "a//b": false, "a/../b": false, "./a": false,
		"a\x00b": false, "a?b": false, "a#b": false, "a%2fb": false, "a\\b": false,
		string(make([]byte, 513)): false, "\xff": false,
	} {
		if err := ValidatePublicID(id); (err == nil) != ok {
			t.Errorf("ValidatePublicID(%q) = %v, want ok=%v", id, err, ok)
		}
	}
}

func TestParseTagsAndValidate(t *testing.T) {
	got := ParseTags(" a, b,,a ,c ")
	if len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Fatalf("ParseTags = %q", got)
	}
	if ParseTags("  ") != nil {
		t.Fatal("ParseTags of blanks is not nil")
	}
	if ValidateTags([]string{"ok", "with space"}) == nil || ValidateTags([]string{"-lead"}) == nil {
		t.Fatal("bad tags accepted")
	}
}

func TestPrincipalCan(t *testing.T) {
	sysAdmin, edge := Principal{Role: RoleAdmin}, Principal{Role: RoleEdge}
	admin, editor, viewer := Principal{"acme", RoleAdmin}, Principal{"acme", RoleEditor}, Principal{"acme", RoleViewer}
	for _, c := range []struct {
		p      Principal
		a      Action
		tenant string
		want   bool
	}{
		{sysAdmin, ManageSystem, "", true}, {sysAdmin, WriteImages, "acme", true},
		{edge, ReadOriginals, "acme", true}, {edge, ReadEvents, "", true}, {edge, ReadImages, "acme", false},
		{admin, ManageKeys, "acme", true}, {admin, ManageSystem, "", false}, {admin, ReadEvents, "", false},
		{admin, ReadImages, "beta", false}, {editor, WriteImages, "acme", true}, {editor, ManageKeys, "acme", false},
		{viewer, ReadImages, "acme", true}, {viewer, WriteImages, "acme", false}, {viewer, ReadOriginals, "beta", false},
		{Principal{"acme", "bogus"}, ReadOriginals, "acme", false}, {Principal{Role: RoleViewer}, ReadImages, "acme", false},
	} {
		if got := c.p.Can(c.a, c.tenant); got != c.want {
			t.Errorf("%+v.Can(%d, %q) = %v, want %v", c.p, c.a, c.tenant, got, c.want)
		}
	}
}

func TestETagLists(t *testing.T) {
	const e = `"abc"`
	for list, want := range map[string][2]bool{
		`"abc"`: {true, true}, `W/"abc"`: {false, true}, `"x", "abc"`: {true, true},
		`*`: {true, true}, `"abcd"`: {false, false}, ``: {false, false},
	} {
		if got := [2]bool{etagListHas(list, e), etagListHasWeak(list, e)}; got != want {
			t.Errorf("%q: strong/weak = %v, want %v", list, got, want)
		}
	}
}
