package netnstest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const nodeCount = 5

// TestNetnsPartitionAndHeal runs five node processes, each with its own IP in
// its own namespace, and checks: they converge on one ring and agree on the
// owner of every key; a broadcast reaches all; a partition {0,1,2} | {3,4}
// splits them into two rings that each agree internally; healing it merges
// them again; broadcasts flow after healing. Convergence times are logged.
func TestNetnsPartitionAndHeal(t *testing.T) {
	requireNetns(t)
	prefix := os.Getenv("PIXCDN_NETNS_PREFIX")
	if prefix == "" {
		prefix = fmt.Sprintf("pxc%d-", os.Getpid())
	}
	tp := topology{prefix: prefix, nodes: nodeCount}
	tp.create(t)
	nodes := make([]*node, nodeCount)
	for i := range nodes {
		nodes[i] = startNode(t, tp, i) // every node seeds from node 0
	}
	all := []int{0, 1, 2, 3, 4}
	d := waitConverged(t, nodes, all)
	t.Logf("startup: 5 nodes converged %v after the last start", d)

	broadcastAndExpect(t, nodes, 3, "before-partition", all)

	a, b := []int{0, 1, 2}, []int{3, 4}
	tp.partition(t, a, b)
	cut := time.Now()
	waitConverged(t, nodes, a)
	waitConverged(t, nodes, b)
	t.Logf("partition {0,1,2}|{3,4}: both sides converged on their own ring %v after the cut", time.Since(cut))
	broadcastAndExpect(t, nodes, 1, "during-partition", a)

	tp.heal(t, a, b)
	healed := time.Now()
	waitConverged(t, nodes, all)
	t.Logf("heal: 5 nodes converged again %v after the routes were restored", time.Since(healed))
	broadcastAndExpect(t, nodes, 4, "after-heal", all)

	for _, n := range nodes {
		if got := n.call(t, "quit"); got != `"ok"` {
			t.Errorf("%s quit: %s", n.name, got)
		}
	}
}

// requireNetns skips unless PIXCDN_NETNS_TEST is set, and then fails when
// the test cannot create namespaces.
func requireNetns(t *testing.T) {
	if os.Getenv("PIXCDN_NETNS_TEST") == "" {
		t.Skip("multi-host test: run `make netns-test` (scripts/netns/run.sh) as root")
	}
	if os.Geteuid() != 0 {
		t.Fatal("PIXCDN_NETNS_TEST is set but the test is not running as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("PIXCDN_NETNS_TEST is set but iproute2's ip is missing (apt-get install iproute2)")
	}
}

// node is one helper process and the pipe to talk to it.
type node struct {
	name    string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan string // reply payloads, prefix stripped
	logPath string      // path of the node's stderr
}

func startNode(t *testing.T, tp topology, i int) *node {
	t.Helper()
	return startHelper(t, tp, i, fmt.Sprintf("n%d", i), "TestNetnsNodeHelper", "PIXCDN_NETNS_NODE=1",
		"NETNS_BIND="+tp.gossip(i), "NETNS_SEEDS="+tp.gossip(0), "NETNS_INTERNAL="+tp.ip(i)+":8081")
}

// startHelper re-executes the test binary in node i's namespace running
// only the test helper, with env added, and returns the pipe to it.
func startHelper(t *testing.T, tp topology, i int, name, helper string, env ...string) *node {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	n := &node{name: name, lines: make(chan string, 16)}
	logf, err := os.Create(n.log(t))
	if err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command("ip", "netns", "exec", tp.ns(i), exe, "-test.run=^"+helper+"$", "-test.timeout=10m")
	n.cmd.Env = append(append(os.Environ(), "NETNS_NAME="+n.name), env...)
	n.cmd.Stderr = logf
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with the test binary
	if n.stdin, err = n.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", n.name, err)
	}
	go n.read(stdout)
	t.Cleanup(func() { n.stop(t, logf) })
	return n
}

// log sets and returns the path of the node's log: in
// PIXCDN_NETNS_LOG_DIR when set (kept, debug level), else in a temporary
// folder.
func (n *node) log(t *testing.T) string {
	dir := os.Getenv("PIXCDN_NETNS_LOG_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	n.logPath = fmt.Sprintf("%s/%s.log", dir, n.name)
	return n.logPath
}

func (n *node) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if payload, ok := strings.CutPrefix(sc.Text(), replyPrefix); ok {
			n.lines <- payload
		}
	}
	close(n.lines)
}

// stop kills the process if it is still running and, when the test failed,
// prints the tail of its log.
func (n *node) stop(t *testing.T, logf *os.File) {
	_ = n.stdin.Close()
	done := make(chan struct{})
	go func() { _ = n.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = n.cmd.Process.Kill()
		<-done
	}
	_ = logf.Close()
	if t.Failed() {
		b, _ := os.ReadFile(n.logPath)
		lines := strings.Split(string(b), "\n")
		t.Logf("--- %s log (last 40 lines) ---\n%s", n.name, strings.Join(lines[max(0, len(lines)-40):], "\n"))
	}
}

// call sends one command and returns the JSON reply.
func (n *node) call(t *testing.T, command string) string {
	t.Helper()
	if _, err := fmt.Fprintln(n.stdin, command); err != nil {
		t.Fatalf("%s: send %q: %v", n.name, command, err)
	}
	select {
	case line, ok := <-n.lines:
		if !ok {
			t.Fatalf("%s exited (see its log)", n.name)
		}
		return line
	case <-time.After(15 * time.Second):
		t.Fatalf("%s: no reply to %q", n.name, command)
	}
	return ""
}

func (n *node) status(t *testing.T) status {
	t.Helper()
	var s status
	if err := json.Unmarshal([]byte(n.call(t, "status")), &s); err != nil {
		t.Fatalf("%s status: %v", n.name, err)
	}
	return s
}

// waitConverged polls until the nodes in group have exactly the group as
// members, one ring version that every member advertises, and identical
// ownership of every digest key. It returns the time taken.
func waitConverged(t *testing.T, nodes []*node, group []int) time.Duration {
	t.Helper()
	want := make([]string, 0, len(group))
	for _, i := range group {
		want = append(want, nodes[i].name)
	}
	start := time.Now()
	var last []status
	for time.Since(start) < 60*time.Second {
		last = last[:0]
		for _, i := range group {
			last = append(last, nodes[i].status(t))
		}
		if converged(last, want) {
			return time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("group %v did not converge in 60s; last statuses: %+v", want, last)
	return 0
}

func converged(ss []status, want []string) bool {
	for _, s := range ss {
		if !s.Agree || s.Version != ss[0].Version || s.Digest != ss[0].Digest || !slices.Equal(s.Members, want) {
			return false
		}
	}
	return true
}

// broadcastAndExpect broadcasts msg from node from and waits until every
// other node in group has handled it exactly once.
func broadcastAndExpect(t *testing.T, nodes []*node, from int, msg string, group []int) {
	t.Helper()
	if got := nodes[from].call(t, "broadcast "+msg); got != `"ok"` {
		t.Fatalf("broadcast: %s", got)
	}
	start := time.Now()
	for _, i := range group {
		if i == from {
			continue
		}
		for {
			var got []string
			if err := json.Unmarshal([]byte(nodes[i].call(t, "received")), &got); err != nil {
				t.Fatal(err)
			}
			if c := count(got, msg); c == 1 {
				break
			} else if c > 1 {
				t.Fatalf("%s handled %q %d times", nodes[i].name, msg, c)
			}
			if time.Since(start) > 30*time.Second {
				for _, n := range nodes {
					t.Logf("%s stats: %s", n.name, n.call(t, "stats"))
				}
				t.Fatalf("%s never received %q", nodes[i].name, msg)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("broadcast %q from %s reached nodes %v in %v", msg, nodes[from].name, group, time.Since(start))
}

func count(xs []string, x string) int {
	n := 0
	for _, y := range xs {
		if y == x {
			n++
		}
	}
	return n
}
