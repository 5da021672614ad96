package bench

import (
	"errors"
	"strings"
	"testing"
)

func TestParseTrace(t *testing.T) {
	in := "# a comment\n\n/acme/cats/tom.jpg?w=400\n" +
		"http://edge.local:8080/acme/a%20b.png?fm=webp\tAccept: image/webp\tIf-None-Match: \"abc\"\r\n" +
		"  /acme/x.jpg\t\n"
	reqs, err := ParseTrace(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	if reqs[0].Path != "/acme/cats/tom.jpg?w=400" || len(reqs[0].Header) != 0 {
		t.Errorf("line 3: %+v", reqs[0])
	}
	r := reqs[1]
	if r.Path != "/acme/a%20b.png?fm=webp" || r.Accept() != "image/webp" ||
		len(r.Header) != 2 || r.Header[1] != (Header{"If-None-Match", `"abc"`}) {
		t.Errorf("line 4: %+v", r)
	}
	if reqs[2].Path != "/acme/x.jpg" {
		t.Errorf("line 5: %+v", reqs[2])
	}
}

func TestParseTraceErrorsNameTheLine(t *testing.T) {
	cases := map[string]string{
		"":                                   "no requests",
		"/ok\nacme/no-slash\n":               "line 2",
		"/ok\tAccept image/webp\n":           "line 1",
		"/ok\tBad Name: x\n":                 "line 1",
		"/ok\tHost: other\n":                 "line 1",
		"ftp://x/y\n":                        "line 1",
		"/a b\n":                             "line 1",
		"/ok\n/ok\x01\n":                     "line 2",
		"/" + strings.Repeat("a", 70<<10):    "longer than",
		"/ok" + strings.Repeat("\tA: b", 40): "headers",
	}
	for in, want := range cases {
		_, err := ParseTrace(strings.NewReader(in))
		if !errors.Is(err, ErrBadTrace) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTrace(%q) = %v, want ErrBadTrace mentioning %q", truncate(in, 40), err, want)
		}
	}
}

func TestTraceReplaysInOrderAndWraps(t *testing.T) {
	reqs, _ := ParseTrace(strings.NewReader("/a\n/b\n/c\n"))
	tr, err := NewTrace("t", reqs)
	if err != nil {
		t.Fatal(err)
	}
	s1, s2 := tr.NewSource(0), tr.NewSource(1)
	var got []string
	var r Request
	for i := range 7 {
		[]Source{s1, s2}[i%2].Next(&r)
		got = append(got, r.Path)
	}
	if strings.Join(got, "") != "/a/b/c/a/b/c/a" {
		t.Fatalf("replay order %v", got)
	}
	if _, err := NewTrace("empty", nil); !errors.Is(err, ErrBadTrace) {
		t.Fatalf("empty trace: %v", err)
	}
}

func FuzzParseTrace(f *testing.F) {
	f.Add("/acme/cats/tom.jpg?w=400\tAccept: image/webp\n# c\n\nhttp://h/x\n")
	f.Add("/a\tIf-None-Match: \"x\"\tX-Y: z\r\n")
	f.Add("https://[::1]:8080/a%2Fb?x=%zz\n")
	f.Fuzz(func(t *testing.T, in string) {
		reqs, err := ParseTrace(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrBadTrace) {
				t.Fatalf("error %v is not ErrBadTrace", err)
			}
			return
		}
		for _, r := range reqs {
			if !strings.HasPrefix(r.Path, "/") || !validHeaderValue(r.Path) || strings.ContainsAny(r.Path, " \t") {
				t.Fatalf("bad path %q accepted", r.Path)
			}
			for _, h := range r.Header {
				if !validToken(h.Name) || !validHeaderValue(h.Value) || strings.Contains(h.Value, "\t") {
					t.Fatalf("bad header %q accepted", h)
				}
			}
		}
	})
}
