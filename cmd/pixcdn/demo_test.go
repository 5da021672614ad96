package main

import (
	"bufio"

	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pixcdn/internal/demo"
	"pixcdn/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// TestDemoServesImagesAndStopsCleanly runs `pixcdn demo` as a person would
// (the command behind `make run`): it waits for the printed URLs, loads a
// resized image through one edge and through another, then sends Ctrl-C and
// checks that the demo exits 0 and that nothing it started still listens.
func TestDemoServesImagesAndStopsCleanly(t *testing.T) {
	testenv.SkipIfShort(t, "starts PostgreSQL, MinIO, the origin and three edges")
	d := startDemoStack(t)
	for _, u := range []string{d.url, strings.Replace(d.url, fmt.Sprint(d.base), fmt.Sprint(d.base+1), 1)} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Accept", "image/webp,*/*")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/webp" || len(body) < 100 {
			t.Fatalf("GET %s: %s %q, %d bytes", u, resp.Status, resp.Header.Get("Content-Type"), len(body))
		}
	}
	d.stop(t)
}

// demoStackUnderTest is a running `pixcdn demo` started by a test.
type demoStackUnderTest struct {
	base     int
	url      string // a demo image on the first edge, as printed
	adminKey string
	cmd      *exec.Cmd
	exited   chan error
	output   *demoOutput // everything the demo printed
}

// demoOutput keeps the first MiB of the demo's output. Safe for concurrent
// use.
type demoOutput struct {
	mu   sync.Mutex
	text strings.Builder
}

func (o *demoOutput) add(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.text.Len() < 1<<20 {
		o.text.WriteString(line + "\n")
	}
}

func (o *demoOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.text.String()
}

// startDemoStack starts `pixcdn demo` with the flags extra in a fresh state
// directory on free ports and waits until it prints its URLs (every edge is
// ready then).
func startDemoStack(t *testing.T, extra ...string) *demoStackUnderTest {
	t.Helper()
	bin := testenv.EdgeBinary(t)
	base := freePortBase(t)
	// Not t.TempDir: its 0700 parent would keep PostgreSQL's user out.
	state, err := os.MkdirTemp("", "pixcdn-demo-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(state) })
	if err := os.Chmod(state, 0o755); err != nil {
		t.Fatal(err)
	}
	demo := exec.Command(bin, append([]string{"demo", "--dir", state, "--port-base", fmt.Sprint(base), "--log-level", "warn"}, extra...)...)
	demo.Dir = state
	stdout, err := demo.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	demo.Stderr = demo.Stdout
	demo.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	d := &demoStackUnderTest{base: base, cmd: demo, exited: make(chan error, 1), output: &demoOutput{}}
	// Registered before anything can fail: a Fatal below must not leave the demo running.
	t.Cleanup(func() { _ = demo.Process.Kill() })
	d.url = waitForDemoURL(t, stdout, fmt.Sprintf("http://127.0.0.1:%d/demo/", base), d.output)
	go func() { d.exited <- demo.Wait() }()
	key, err := os.ReadFile(filepath.Join(state, "secrets", "admin-key"))
	if err != nil {
		t.Fatal(err)
	}
	d.adminKey = strings.TrimSpace(string(key))
	return d
}

// stop sends Ctrl-C, waits for the demo to exit 0 and checks that nothing
// it started still listens.
func (d *demoStackUnderTest) stop(t *testing.T) {
	t.Helper()
	_ = d.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-d.exited:
		if err != nil {
			t.Errorf("demo exited with %v after Ctrl-C, want 0", err)
		}
	case <-time.After(60 * time.Second):
		t.Error("demo did not stop within 60s of Ctrl-C")
		return
	}
	for _, port := range demoPortsOf(d.base) {
		if conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
			conn.Close()
			t.Errorf("port %d still answers after the demo stopped", port)
		}
	}
}

func (d *demoStackUnderTest) edges() []string {
	var urls []string
	for i := range 3 { // the demo's edges serve on BASE, BASE+1, BASE+2
		urls = append(urls, fmt.Sprintf("http://127.0.0.1:%d", d.base+i))
	}
	return urls
}

// waitForDemoURL reads the demo's output into seen until it prints a URL
// starting with prefix, and keeps draining the output into seen afterwards.
func waitForDemoURL(t *testing.T, out io.Reader, prefix string, seen *demoOutput) string {
	found := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(out)
		for scanner.Scan() {
			line := scanner.Text()
			seen.add(line)
			for _, field := range strings.Fields(line) {
				if strings.HasPrefix(field, prefix) {
					select {
					case found <- field:
					default:
					}
				}
			}
		}
		close(found)
	}()
	select {
	case url, ok := <-found:
		if !ok {
			t.Fatalf("demo exited before printing its URLs:\n%s", seen.String())
		}
		return url
	case <-time.After(3 * time.Minute):
		t.Fatalf("demo printed no URL within 3 minutes")
	}
	return ""
}

func demoPortsOf(base int) []int {
	p := demo.Config{Edges: 3, PortBase: base}.Ports()
	ports := append(append(append([]int{}, p.Public...), p.Internal...), p.Gossip...)
	return append(ports, p.Origin, p.Postgres, p.MinIO)
}

// freePortBase picks a port base whose demo ports are all free right now,
// below Linux's ephemeral range (32768 and up), where ports handed out for
// outgoing connections and ":0" listeners meanwhile could take one of them
// between this check and the demo's bind.
func freePortBase(t *testing.T) int {
	for range 50 {
		base := 10000 + rand.IntN(32768-10000-400)
		if allFree(demoPortsOf(base)) {
			return base
		}
	}
	t.Fatal("no free port range for the demo")
	return 0
}

func allFree(ports []int) bool {
	for _, port := range ports {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}
