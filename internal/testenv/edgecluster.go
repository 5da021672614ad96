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
	Public, Internal, Gossip string // host:port; Gossip "" for a lone node
	LogPath                  string
	CacheDir                 string // --cache-dir, kept across Restart
	bin                      string
	args                     []string // the flags of every start
	cmd                      *exec.Cmd
	done                     chan struct{}
	exitErr                  error // set when done is closed
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
		Unavailable(t, "pixcdn binary (cgo + libvips)", edgeBinary.err)
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
		c.Nodes = append(c.Nodes, newEdgeNode(t, fmt.Sprintf("edge%d", i+1), true))
	}
	seeds := make([]string, 0, len(c.Nodes))
	for _, n := range c.Nodes {
		seeds = append(seeds, n.Gossip)
	}
	for _, n := range c.Nodes {
		n.configure(bin, cfg, seeds)
		n.Restart(t)
	}
	c.WaitConverged(t, len(c.Nodes), 60*time.Second)
	return c
}

// StartLoneEdge starts one edge process outside any cluster (no gossip)
// with origin and the extra flags args, and returns at once: wait for it
// with WaitReady. It is stopped when the test ends; Stop and Restart (on
// the same flags and disk cache) may come before.
func StartLoneEdge(t testing.TB, name, origin string, args ...string) *EdgeNode {
	t.Helper()
	n := newEdgeNode(t, name, false)
	n.configure(EdgeBinary(t), EdgeClusterConfig{Origin: origin, Args: args}, nil)
	n.Restart(t)
	return n
}

func newEdgeNode(t testing.TB, name string, gossip bool) *EdgeNode {
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
	dir := t.TempDir()
	n := &EdgeNode{
		Name: name, Public: addr(ports[0]), Internal: addr(ports[1]),
		LogPath: filepath.Join(dir, name+".log"), CacheDir: filepath.Join(dir, name+"-cache"),
	}
	if gossip {
		n.Gossip = addr(ports[2])
	}
	return n
}

// configure sets the binary and flags every start of n uses: those of a
// cluster member joining seeds, or of a lone node without seeds.
func (n *EdgeNode) configure(bin string, cfg EdgeClusterConfig, seeds []string) {
	n.bin = bin
	n.args = []string{"edge", "--name", n.Name, "--public", n.Public, "--internal", n.Internal,
		"--origin", cfg.Origin, "--cache-dir", n.CacheDir, "--cache-size", "256MiB",
		"--mem-cache", "64MiB", "--cluster-secret", EdgeClusterSecret,
		"--purge-token", EdgePurgeToken, "--log-level", "debug"}
	if len(seeds) > 0 {
		n.args = append(n.args, "--gossip", n.Gossip, "--join", strings.Join(seeds, ","), "--gossip-key", edgeGossipKey)
	}
	n.args = append(n.args, cfg.Args...)
}

// Restart starts n's process again, on the same flags and disk cache
// (the first start too), and returns when it was started, without waiting
// for it. Its output is appended to LogPath, whose tail the test shows if
// it fails; the process is stopped when the test ends.
func (n *EdgeNode) Restart(t testing.TB) time.Time {
	t.Helper()
	log, err := os.OpenFile(n.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(n.bin, n.args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		t.Fatalf("start %s: %v", n.Name, err)
	}
	started, done := time.Now(), make(chan struct{})
	n.cmd, n.done = cmd, done
	go func() { n.exitErr = cmd.Wait(); log.Close(); close(done) }()
	t.Cleanup(func() {
		n.Stop(10 * time.Second)
		if t.Failed() {
			n.dumpLog(t)
		}
	})
	return started
}

// Kill ends the node at once (SIGKILL), as a crash would, and waits for it.
func (n *EdgeNode) Kill() {
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// Freeze stops the node's process (SIGSTOP) without ending it: every
// connection and gossip packet to it goes unanswered, as if the node alone
// were cut off, until Thaw.
func (n *EdgeNode) Freeze() { n.cmd.Process.Signal(syscall.SIGSTOP) }

// Thaw resumes a frozen node (SIGCONT).
func (n *EdgeNode) Thaw() { n.cmd.Process.Signal(syscall.SIGCONT) }

// Stop asks the node to shut down (SIGTERM), kills it after grace, and
// returns how the process ended (nil: it exited 0).
func (n *EdgeNode) Stop(grace time.Duration) error {
	select {
	case <-n.done:
		return n.exitErr
	default:
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(grace):
		n.Kill()
		return fmt.Errorf("%s killed: still running %v after SIGTERM", n.Name, grace)
	}
	return n.exitErr
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
		n.waitConverged(t, want, deadline)
	}
}

// WaitReady waits until the lone node n is ready (it lists itself alone).
func (n *EdgeNode) WaitReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	n.waitConverged(t, 1, time.Now().Add(timeout))
}

func (n *EdgeNode) waitConverged(t testing.TB, want int, deadline time.Time) {
	t.Helper()
	for {
		err := EdgeConverged(n.Internal, want)
		if err == nil {
			return
		}
		select {
		case <-n.done:
			n.dumpLog(t)
			t.Fatalf("%s exited during start-up: %v", n.Name, n.exitErr)
		default:
		}
		if time.Now().After(deadline) {
			n.dumpLog(t)
			t.Fatalf("%s not converged in time: %v", n.Name, err)
		}
		time.Sleep(50 * time.Millisecond)
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

// EdgeConverged reports, for the edge whose internal port is at internal
// (host:port), why it is not yet ready, listing want members that all
// advertise its ring version; nil once it is.
func EdgeConverged(internal string, want int) error {
	resp, err := http.Get("http://" + internal + "/readyz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("readyz %d", resp.StatusCode)
	}
	var v clusterView
	if err := getJSON("http://"+internal+"/_cluster", &v); err != nil {
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
