package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	good := map[string]string{
		"http://127.0.0.1:8080":  "127.0.0.1:8080",
		"http://127.0.0.1:8080/": "127.0.0.1:8080",
		"http://localhost":       "localhost:80",
		"https://[::1]":          "[::1]:443",
	}
	for raw, host := range good {
		tg, err := ParseTarget(raw)
		if err != nil || tg.Host != host || tg.Header != strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(raw, "http://"), "https://"), "/") {
			t.Errorf("ParseTarget(%q) = %+v, %v; want host %s", raw, tg, err, host)
		}
	}
	for _, raw := range []string{"", "127.0.0.1:8080", "ftp://x", "http://", "http://h/acme", "http://h/?a=1", "http://u:p@h"} {
		if _, err := ParseTarget(raw); !errors.Is(err, ErrBadTarget) {
			t.Errorf("ParseTarget(%q) err = %v, want ErrBadTarget", raw, err)
		}
	}
}

func TestCheckLocal(t *testing.T) {
	ctx := context.Background()
	for _, h := range []string{"127.0.0.1:80", "localhost:8080", "10.1.2.3", "192.168.0.9:1", "172.16.5.5", "[::1]:8080", "[fd00::1]:80"} {
		if err := CheckLocal(ctx, h); err != nil {
			t.Errorf("CheckLocal(%q) = %v, want nil", h, err)
		}
	}
	for _, h := range []string{"8.8.8.8:80", "[2001:4860::1]:80", "0.0.0.0:80", "172.32.0.1", "169.254.1.1"} {
		if err := CheckLocal(ctx, h); !errors.Is(err, ErrRemoteTarget) {
			t.Errorf("CheckLocal(%q) = %v, want ErrRemoteTarget", h, err)
		}
	}
}
