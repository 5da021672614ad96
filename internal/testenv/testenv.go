package testenv

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// shared holds the servers of one test binary. They start on first use and
// stop in Run after the tests.
var shared struct {
	mu       sync.Mutex
	root     string
	stops    []func()
	pg       *postgresServer
	pgErr    error
	minio    *minioServer
	minioErr error
}

// SkipIfShort skips t under -short, for tests too slow for a quick run,
// except under CI (CI set), where every test runs whatever the flags.
func SkipIfShort(t testing.TB, why string) {
	t.Helper()
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip(why + " (-short)")
	}
}

// Run runs the tests, then stops every server this package started and
// removes their files. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
func Run(m *testing.M) int {
	code := m.Run()
	shutdown()
	return code
}

func shutdown() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for i := len(shared.stops) - 1; i >= 0; i-- {
		shared.stops[i]()
	}
	shared.stops = nil
	if shared.root != "" {
		os.RemoveAll(shared.root)
	}
}

// scratchDir returns a fresh directory under this binary's scratch root.
// Callers hold shared.mu.
func scratchDir(name string) (string, error) {
	if shared.root == "" {
		root, err := os.MkdirTemp("", "pixcdn-testenv-")
		if err != nil {
			return "", err
		}
		// The root is traversed by the unprivileged postgres user.
		if err := os.Chmod(root, 0o755); err != nil {
			return "", err
		}
		shared.root = root
	}
	dir := fmt.Sprintf("%s/%s", shared.root, name)
	return dir, os.MkdirAll(dir, 0o755)
}

// Unavailable ends a test whose server cannot run: a failure under CI, where
// skipping would hide untested code, and a skip naming `make deps` elsewhere.
func Unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("testenv: %s unavailable under CI: %v", what, err)
	}
	t.Skipf("testenv: %s unavailable (%v); run `make deps` to install it", what, err)
}

func startContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 90*time.Second)
}
