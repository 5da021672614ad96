package localserver

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestReachableBy(t *testing.T) {
	other := &syscall.Credential{Uid: 4242, Gid: 4242}
	open, err := os.MkdirTemp("", "reach-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(open) })
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	closed := filepath.Join(open, "closed")
	if err := os.Mkdir(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		dir  string
		want bool
	}{
		{filepath.Join(open, "pg"), true},
		{filepath.Join(open, "not", "yet", "made"), true},
		{filepath.Join(closed, "pg"), false},
		{filepath.Join(closed, "deeper", "pg"), false},
	}
	for _, tc := range cases {
		if got := reachableBy(tc.dir, other); got != tc.want {
			t.Errorf("reachableBy(%s) = %v, want %v", tc.dir, got, tc.want)
		}
	}
	if a, b := unreachableFallback(closed), unreachableFallback(closed); a != b || a == unreachableFallback(open) {
		t.Errorf("fallback not stable per folder: %s %s %s", a, b, unreachableFallback(open))
	}
}
