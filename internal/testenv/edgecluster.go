package testenv

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pixcdn/internal/localserver"
)

// Secrets shared by the nodes of a test cluster.
const (
	EdgeClusterSecret = "test-cluster-secret-0123456789"
	EdgePurgeToken    = "test-purge-token"
	edgeGossipKey     = "00112233445566778899aabbccddeeff"
)

// EdgeNode is one running `pixcdn edge` process on loopback.
type EdgeNode struct {
	Name                     string
	Public, Internal, Gossip string // host:port
	LogPath                  string
	cmd                      *exec.Cmd
	done                     chan struct{}
}

// EdgeClusterConfig says how to start a test cluster.
type EdgeClusterConfig struct {
	Nodes  int      // number of nodes, ≥ 1
	Origin string   // --origin, e.g. "dir:/tmp/x"
	Args   []string // extra flags for every node
}

// EdgeCluster is N `pixcdn edge` processes joined into one cluster.
type EdgeCluster struct {
	Nodes []*EdgeNode
}

var edgeBinary struct {
	once sync.Once
	path string
	err  error
}

// EdgeBinary builds cmd/pixcdn once per test binary (it needs cgo and
// libvips) and returns its path. Without a toolchain able to build it, the
// test fails under CI and is skipped otherwise.
func EdgeBinary(t testing.TB) string {
	t.Helper()
	edgeBinary.once.Do(func() { edgeBinary.path, edgeBinary.err = buildPixcdn() })
	if edgeBinary.err != nil {
		unavailable(t, "pixcdn binary (cgo + libvips)", edgeBinary.err)
	}
	return edgeBinary.path
}

func buildPixcdn() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	modDir := filepath.Dir(strings.TrimSpace(string(out)))
	shared.mu.Lock()
	dir, err := scratchDir("bin")
	shared.mu.Unlock()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "pixcdn")
	build := exec.Command("go", "build", "-o", bin, "./cmd/pixcdn")
	build.Dir = modDir
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if msg, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/pixcdn: %w\n%s", err, msg)
	}
	return bin, nil
}

// StartEdgeCluster starts cfg.Nodes edge processes joined by gossip and
// waits until every node is ready and sees every other node with the same
// ring version. The processes are stopped when the test ends.
func StartEdgeCluster(t testing.TB, cfg EdgeClusterConfig) *EdgeCluster {
	t.Helper()
	bin := EdgeBinary(t)
	c := &EdgeCluster{}
	for i := range cfg.Nodes {
		c.Nodes = append(c.Nodes, newEdgeNode(t, i))
	}
	seeds := make([]string, 0, len(c.Nodes))
	for _, n := range c.Nodes {
		seeds = append(seeds, n.Gossip)
	}
	for _, n := range c.Nodes {
		n.start(t, bin, cfg, seeds)
	}
	c.WaitConverged(t, len(c.Nodes), 60*time.Second)
	return c
}

func newEdgeNode(t testing.TB, i int) *EdgeNode {
	t.Helper()
	ports := make([]int, 3)
	for j := range ports {
		p, err := localserver.FreePort()
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		ports[j] = p
	}
	addr := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	return &EdgeNode{
		Name: fmt.Sprintf("edge%d", i+1), Public: addr(ports[0]), Internal: addr(ports[1]), Gossip: addr(ports[2]),
		LogPath: filepath.Join(t.TempDir(), fmt.Sprintf("edge%d.log", i+1)), done: make(chan struct{}),
	}
}

func (n *EdgeNode) start(t testing.TB, bin string, cfg EdgeClusterConfig, seeds []string) {
	t.Helper()
	args := []string{"edge", "--name", n.Name, "--public", n.Public, "--internal", n.Internal,
		"--gossip", n.Gossip, "--join", strings.Join(seeds, ","), "--origin", cfg.Origin,
		"--cache-dir", filepath.Join(filepath.Dir(n.LogPath), n.Name+"-cache"), "--cache-size", "256MiB",
		"--mem-cache", "64MiB", "--cluster-secret", EdgeClusterSecret, "--gossip-key", edgeGossipKey,
		"--purge-token", EdgePurgeToken, "--log-level", "debug"}
	log, err := os.Create(n.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(bin, append(args, cfg.Args...)...)
	n.cmd.Stdout, n.cmd.Stderr = log, log
	if err := n.cmd.Start(); err != nil {
		log.Close()
		t.Fatalf("start %s: %v", n.Name, err)
	}
	go func() { n.cmd.Wait(); log.Close(); close(n.done) }()
	t.Cleanup(func() {
		n.Stop(10 * time.Second)
		if t.Failed() {
			n.dumpLog(t)
		}
	})
}

// Kill ends the node at once (SIGKILL), as a crash would, and waits for it.
func (n *EdgeNode) Kill() {
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// Stop asks the node to shut down (SIGTERM) and kills it after grace.
func (n *EdgeNode) Stop(grace time.Duration) {
	select {
	case <-n.done:
		return
	default:
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(grace):
		n.Kill()
	}
}

func (n *EdgeNode) dumpLog(t testing.TB) {
	f, err := os.Open(n.LogPath)
	if err != nil {
		return
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	t.Logf("last log lines of %s:\n%s", n.Name, strings.Join(lines, "\n"))
}

// clusterView is the part of /_cluster the harness reads.
type clusterView struct {
	RingVersion uint64 `json:"ring_version"`
	Members     []struct {
		Name        string `json:"name"`
		RingVersion uint64 `json:"ring_version"`
	} `json:"members"`
}

// WaitConverged waits until every running node is ready, lists want
// members, and all of them advertise the node's own ring version.
func (c *EdgeCluster) WaitConverged(t testing.TB, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for _, n := range c.Nodes {
		for {
			err := n.converged(want)
			if err == nil {
				break
			}
			select {
			case <-n.done:
				n.dumpLog(t)
				t.Fatalf("%s exited during start-up", n.Name)
			default:
			}
			if time.Now().After(deadline) {
				n.dumpLog(t)
				t.Fatalf("%s not converged after %v: %v", n.Name, timeout, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// Running reports whether the node's process is alive.
func (n *EdgeNode) Running() bool {
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

func (n *EdgeNode) converged(want int) error {
	resp, err := http.Get("http://" + n.Internal + "/readyz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("readyz %d", resp.StatusCode)
	}
	var v clusterView
	if err := getJSON("http://"+n.Internal+"/_cluster", &v); err != nil {
		return err
	}
	if len(v.Members) != want {
		return fmt.Errorf("%d members, want %d", len(v.Members), want)
	}
	for _, m := range v.Members {
		if m.RingVersion != v.RingVersion {
			return fmt.Errorf("member %s at ring version %d, node at %d", m.Name, m.RingVersion, v.RingVersion)
		}
	}
	return nil
}

func getJSON(url string, v any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
