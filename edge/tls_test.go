package edge

import "testing"

func TestRedirectHostKeepsTheHostAndNamesTheHTTPSPort(t *testing.T) {
	cases := []struct {
		host, port, want string
		ok               bool
	}{
		{"img.example.com", "443", "img.example.com", true},
		{"img.example.com:80", "443", "img.example.com", true},
		{"img.example.com:8080", "8443", "img.example.com:8443", true},
		{"img.example.com", "", "img.example.com", true},
		{"127.0.0.1:19280", "19281", "127.0.0.1:19281", true},
		{"[::1]:80", "8443", "[::1]:8443", true},
		{"[::1]", "443", "[::1]", true},
		{"", "443", "", false},
		{"evil.example/path", "443", "", false},
		{"a b", "443", "", false},
		{"user@host", "443", "", false},
		{"not:an:ip:but:colons", "443", "", false},
	}
	for _, c := range cases {
		got, ok := redirectHost(c.host, c.port)
		if got != c.want || ok != c.ok {
			t.Errorf("redirectHost(%q, %q) = %q, %v; want %q, %v", c.host, c.port, got, ok, c.want, c.ok)
		}
	}
}
