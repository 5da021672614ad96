package bench

import (
	"errors"
	"testing"
)

func TestDialectPaths(t *testing.T) {
	imgproxy := Dialect{Name: DialectImgproxy}
	thumbor := Dialect{Name: DialectThumbor}
	tmpl := Dialect{Name: DialectTemplate, Template: "/img/{id}?width={w}&height={h}&format={fm}&o={query}"}
	cases := []struct {
		d          Dialect
		path, want string
	}{
		{imgproxy, "/bench/img-000001.jpg?w=400&fm=webp", "/unsafe/rs:fit:400:0/plain/local:///bench/img-000001.jpg@webp"},
		{imgproxy, "/bench/a.jpg?w=400&h=300&fit=cover&fm=auto&q=70", "/unsafe/rs:fill:400:300/q:70/plain/local:///bench/a.jpg"},
		{imgproxy, "/bench/a.jpg?h=300&fit=fill&fm=jpeg", "/unsafe/rs:force:0:300/plain/local:///bench/a.jpg@jpg"},
		{imgproxy, "/bench/a.jpg?w=200&dpr=2", "/unsafe/rs:fit:400:0/plain/local:///bench/a.jpg"},
		{imgproxy, "/bench/cats/a%20b.jpg", "/unsafe/plain/local:///bench/cats/a%20b.jpg"},
		{thumbor, "/bench/img-000001.jpg?w=400&h=300&fit=cover", "/unsafe/400x300/bench/img-000001.jpg"},
		{thumbor, "/bench/a.jpg?w=400&fm=webp&q=80", "/unsafe/fit-in/400x0/filters:format(webp):quality(80)/bench/a.jpg"},
		{thumbor, "/bench/a.jpg?w=160&dpr=1.5&fm=auto", "/unsafe/fit-in/240x0/bench/a.jpg"},
		{thumbor, "/bench/a.jpg", "/unsafe/bench/a.jpg"},
		{tmpl, "/bench/a.jpg?w=400&fm=avif", "/img/bench/a.jpg?width=400&height=&format=avif&o=w=400&fm=avif"},
		{Dialect{Name: DialectPixcdn, prefix: "/cdn"}, "/bench/a.jpg?w=1", "/cdn/bench/a.jpg?w=1"},
		{Dialect{Name: DialectThumbor, prefix: "/t"}, "/bench/a.jpg", "/t/unsafe/bench/a.jpg"},
	}
	for _, c := range cases {
		if got := c.d.Path(c.path); got != c.want {
			t.Errorf("%s %q = %q, want %q", c.d.Name, c.path, got, c.want)
		}
	}
}

func TestParseContender(t *testing.T) {
	cases := []struct {
		spec                        string
		name, target, dialect, tmpl string
		wantPath                    string // of /t/x.jpg?w=5
	}{
		{"imgproxy=http://127.0.0.1:8081", "imgproxy", "http://127.0.0.1:8081", DialectImgproxy, "", "/unsafe/rs:fit:5:0/plain/local:///t/x.jpg"},
		{"Thumbor=http://127.0.0.1:8888/", "Thumbor", "http://127.0.0.1:8888", DialectThumbor, "", "/unsafe/fit-in/5x0/t/x.jpg"},
		{"old=http://127.0.0.1:8082", "old", "http://127.0.0.1:8082", DialectPixcdn, "", "/t/x.jpg?w=5"},
		{"t2=thumbor+http://127.0.0.1:8889/th", "t2", "http://127.0.0.1:8889", DialectThumbor, "", "/th/unsafe/fit-in/5x0/t/x.jpg"},
		{"mine=http://127.0.0.1:9000/r/{w}/{id}", "mine", "http://127.0.0.1:9000", DialectTemplate, "/r/{w}/{id}", "/r/5/t/x.jpg"},
	}
	for _, c := range cases {
		got, err := ParseContender(c.spec)
		if err != nil || got.Name != c.name || len(got.Targets) != 1 || got.Targets[0] != c.target ||
			got.Dialect.Name != c.dialect || got.Dialect.Template != c.tmpl {
			t.Errorf("ParseContender(%q) = %+v, %v", c.spec, got, err)
			continue
		}
		if p := got.Dialect.Path("/t/x.jpg?w=5"); p != c.wantPath {
			t.Errorf("ParseContender(%q) path %q, want %q", c.spec, p, c.wantPath)
		}
	}
	for _, bad := range []string{"", "x", "=http://h", "x=", "x=ftp://h", "x=http://", "x=gopher+http://h", "x=http://h/?w=1", "x=http://u:p@h"} {
		if _, err := ParseContender(bad); !errors.Is(err, ErrBadConfig) {
			t.Errorf("ParseContender(%q) err = %v, want ErrBadConfig", bad, err)
		}
	}
}
