package netnstest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// edgeCount real edges in namespaces 0..4; the stub origin in namespace 5.
const edgeCount, originNS = 5, 5

// TestNetnsEdgesServeNoStaleVariantAfterHeal runs five `pixcdn edge`
// processes, each in its own namespace, on an origin in a sixth (a stub
// serving originals and the event feed). Every variant is warmed through
// every edge; the partition {edges 0,1,2 + origin} | {edges 3,4} is cut;
// the images are updated at the origin, which the connected side applies
// while the cut-off side keeps serving what it has; the partition heals.
// The cut-off side must apply the update (its feed resumes) and, once
// every edge serves the new version, no edge may serve the old one again.
func TestNetnsEdgesServeNoStaleVariantAfterHeal(t *testing.T) {
	requireNetns(t)
	bin := testenv.EdgeBinary(t)
	prefix := os.Getenv("PIXCDN_NETNS_PREFIX")
	if prefix == "" {
		prefix = fmt.Sprintf("pxc%d-", os.Getpid())
	}
	tp := topology{prefix: prefix + "e", nodes: edgeCount + 1}
	tp.create(t)
	origin := startHelper(t, tp, originNS, "origin", "TestNetnsOriginHelper", "PIXCDN_NETNS_ORIGIN=1", "NETNS_LISTEN="+tp.ip(originNS)+":8090")
	clients := make([]*node, edgeCount)
	for i := range clients {
		clients[i] = startHelper(t, tp, i, fmt.Sprintf("client%d", i), "TestNetnsClientHelper", "PIXCDN_NETNS_CLIENT=1")
		startEdge(t, tp, i, bin)
	}
	all := []int{0, 1, 2, 3, 4}
	waitEdgeMembers(t, tp, clients, all)

	var paths []string
	for img := range 2 {
		for w := range 6 {
			paths = append(paths, fmt.Sprintf("/acme/img/%d.jpg?w=%d", img, 100+20*w))
		}
	}
	old := map[string]string{} // path → ETag of version 1
	for _, p := range paths {
		for _, i := range all {
			a := edgeGet(t, tp, clients[i], i, p)
			if a.Code != 200 || (old[p] != "" && a.ETag != old[p]) {
				t.Fatalf("warm-up %s on edge %d: %d %q (others %q) %s", p, i, a.Code, a.ETag, old[p], a.Error)
			}
			old[p] = a.ETag
		}
	}

	a, b := []int{0, 1, 2, originNS}, []int{3, 4}
	tp.partition(t, a, b)
	waitEdgeMembers(t, tp, clients, []int{0, 1, 2})
	waitEdgeMembers(t, tp, clients, b)
	for img := range 2 {
		origin.call(t, fmt.Sprintf("update img/%d.jpg", img))
	}
	updated := time.Now()
	applied := waitNoneStale(t, tp, clients, []int{0, 1, 2}, paths, old, 60*time.Second)
	cutOff := map[string]int{} // what the cut-off side serves: old, new or an error status
	for _, i := range b {
		for _, p := range paths {
			switch r := edgeGet(t, tp, clients[i], i, p); {
			case r.Code != 200:
				cutOff[fmt.Sprint(r.Code)]++
			case r.ETag == old[p]:
				cutOff["old"]++
			default:
				cutOff["new"]++
			}
		}
	}

	tp.heal(t, a, b)
	healed := time.Now()
	waitEdgeMembers(t, tp, clients, all)
	merged := time.Since(healed)
	fresh := waitNoneStale(t, tp, clients, all, paths, old, 120*time.Second)
	served := 0
	for range 3 {
		for _, i := range all {
			for _, p := range paths {
				if r := edgeGet(t, tp, clients[i], i, p); r.Code != 200 || r.ETag == old[p] {
					t.Errorf("edge %d after the heal: %s %d %q (old %q) %s", i, p, r.Code, r.ETag, old[p], r.Error)
				}
				served++
			}
		}
	}
	t.Logf("partition {edges 0-2 + origin} | {edges 3,4}: update applied by the connected side %.2fs after it; "+
		"the cut-off side answered %v for %d variants; heal: one ring after %.2fs, every edge serves "+
		"the new version %.2fs after the heal; %d requests after that, none stale",
		applied.Sub(updated).Seconds(), cutOff, len(b)*len(paths), merged.Seconds(), fresh.Sub(healed).Seconds(), served)
}

// startEdge runs `pixcdn edge` in node i's namespace, joined to edge 0,
// on the stub origin.
func startEdge(t *testing.T, tp topology, i int, bin string) {
	t.Helper()
	n := &node{name: fmt.Sprintf("edge%d", i)}
	logf, err := os.Create(n.log(t))
	if err != nil {
		t.Fatal(err)
	}
	ip := tp.ip(i)
	cmd := exec.Command("ip", "netns", "exec", tp.ns(i), bin, "edge", "--name", n.name,
		"--public", ip+":8080", "--internal", ip+":8081", "--gossip", tp.gossip(i), "--join", tp.gossip(0),
		"--gossip-key", "00112233445566778899aabbccddeeff", "--cluster-secret", "netns-cluster-secret-0123456789",
		"--purge-token", "netns-purge-token", "--origin", "http://"+tp.ip(originNS)+":8090",
		"--origin-key", "netns-stub-origin-key", "--cache-dir", filepath.Join(t.TempDir(), "cache"),
		"--cache-size", "64MiB", "--mem-cache", "32MiB", "--log-level", "debug")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", n.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(n.logPath)
			lines := strings.Split(string(b), "\n")
			t.Logf("--- %s log (last 30 lines) ---\n%s", n.name, strings.Join(lines[max(0, len(lines)-30):], "\n"))
		}
	})
}

// edgeGet requests path from edge i's public port through its namespace's
// client helper.
func edgeGet(t *testing.T, tp topology, client *node, i int, path string) clientAnswer {
	t.Helper()
	return clientGet(t, client, "http://"+tp.ip(i)+":8080"+path)
}

func clientGet(t *testing.T, client *node, url string) clientAnswer {
	t.Helper()
	var a clientAnswer
	if err := json.Unmarshal([]byte(client.call(t, "get "+url)), &a); err != nil {
		t.Fatalf("%s: %v", client.name, err)
	}
	return a
}

// waitEdgeMembers polls until each edge in group is ready and its
// /_cluster lists exactly the group's edges.
func waitEdgeMembers(t *testing.T, tp topology, clients []*node, group []int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for _, i := range group {
		for {
			a := clientGet(t, clients[i], "http://"+tp.ip(i)+":8081/_cluster")
			var v struct {
				Members []struct{ Name string } `json:"members"`
			}
			if a.Code == 200 && json.Unmarshal([]byte(a.Body), &v) == nil && len(v.Members) == len(group) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("edge %d: /_cluster %d %s %.300s, want %d members", i, a.Code, a.Error, a.Body, len(group))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// waitNoneStale polls until every edge in group serves every path with a
// 200 and an ETag other than old's, and returns when they all did.
func waitNoneStale(t *testing.T, tp topology, clients []*node, group []int, paths []string, old map[string]string, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		stale := 0
		var last string
		for _, i := range group {
			for _, p := range paths {
				if a := edgeGet(t, tp, clients[i], i, p); a.Code != 200 || a.ETag == old[p] {
					stale++
					last = fmt.Sprintf("edge %d %s: %d %q %s", i, p, a.Code, a.ETag, a.Error)
				}
			}
		}
		if stale == 0 {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("edges %v: %d variants still old or failing %v later (last: %s)", group, stale, timeout, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
