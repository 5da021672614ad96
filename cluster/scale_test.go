package cluster

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metrics "github.com/hashicorp/go-metrics"

	"pixcdn/internal/testenv"
)

// TestScale prints pixcdn's cluster figures at sizes larger than the other
// tests use: ring balance and key movement from 3 to 100 members (pure), and,
// with real memberlist nodes on 127.0.0.1 under the production Config
// (DefaultConfig: encryption, timings, debounce), steady gossip traffic per
// node and the time until every node's ring agrees after a join, a graceful
// leave and a kill. It runs for minutes, so only when PIXCDN_SCALE is set:
//
//	make bench-scale     # PIXCDN_SCALE=1 go test ./cluster -run '^TestScale$' -v
//
// PIXCDN_SCALE_NODES lists the gossip cluster sizes (default "5,20"; 50 needs
// a machine with cores to spare, docs/operations.md) and
// PIXCDN_SCALE_REPS the joins, leaves and kills measured per size (default 3).
func TestScale(t *testing.T) {
	if os.Getenv("PIXCDN_SCALE") == "" {
		t.Skip("set PIXCDN_SCALE=1 (make bench-scale): minutes of gossip between up to 20 nodes")
	}
	printRingScale(t, []int{3, 5, 10, 20, 50, 100}, 100_000)
	load := &gossipBytes{}
	metrics.NewGlobal(&metrics.Config{FilterDefault: true, TimerGranularity: time.Millisecond}, load)
	fmt.Println("\ngossip on loopback, DefaultConfig timings; times are median (max) over the reps")
	fmt.Println("| nodes | gossip out per node, steady | join → all agree | leave → all agree | kill → excluded everywhere | kill → all agree |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, n := range envInts(t, "PIXCDN_SCALE_NODES", []int{5, 20}) {
		printGossipScale(t, load, n, envInts(t, "PIXCDN_SCALE_REPS", []int{3})[0])
	}
}

// printRingScale prints, per member count, max/mean keys per member over
// random keys, the largest member's partitions over the mean, the keys
// moved by a join and by a leave against the ideal, and the build time.
func printRingScale(t *testing.T, sizes []int, nkeys int) {
	p := DefaultConfig().ringParams()
	keys := randomKeys(nkeys, 42)
	fmt.Printf("ring: %d partitions, %d virtual nodes per member, load bound %g; %d random keys\n",
		p.PartitionCount, p.ReplicationFactor, p.Load, nkeys)
	fmt.Println("| members | keys max/mean | partitions max/mean | moved on join (ideal) | moved on leave (ideal) | ring build |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, n := range sizes {
		ms := names(n)
		start := time.Now()
		r := mustBuildRing(t, p, ms)
		build := time.Since(start)
		joined := mustBuildRing(t, p, names(n+1))
		left := mustBuildRing(t, p, slices.Delete(slices.Clone(ms), n/2, n/2+1))
		maxParts := 0
		for _, m := range r.members {
			maxParts = max(maxParts, m.Partitions)
		}
		fmt.Printf("| %d | %.3f | %.3f | %.4f (%.4f) | %.4f (%.4f) | %.1f ms |\n", n, balance(r, keys),
			float64(maxParts)*float64(n)/float64(p.PartitionCount),
			moved(r, joined, keys), 1/float64(n+1), moved(r, left, keys), 1/float64(n),
			float64(build.Microseconds())/1000)
	}
}

func mustBuildRing(t *testing.T, p ringParams, ms []Member) *Ring {
	t.Helper()
	r, err := buildRing(p, ms, "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// printGossipScale forms a cluster of n nodes, measures its steady gossip
// output, then reps times: a node joins, the same node leaves gracefully,
// and another is killed and replaced; it prints one table row.
func printGossipScale(t *testing.T, load *gossipBytes, n, reps int) {
	nodes := startScaleCluster(t, n)
	perNode := load.rate(10*time.Second) / float64(n)
	var join, leave, detect, agree []float64
	for rep := range reps {
		j, l := joinAndLeave(t, nodes, fmt.Sprintf("join-%d-%d", n, rep))
		join, leave = append(join, j), append(leave, l)
		var d, a float64
		nodes, d, a = killAndReplace(t, nodes, fmt.Sprintf("replacement-%d-%d", n, rep))
		detect, agree = append(detect, d), append(agree, a)
	}
	stopTogether(nodes)
	fmt.Printf("| %d | %.1f KB/s | %s | %s | %s | %s |\n", n, perNode/1000,
		medianMax(join), medianMax(leave), medianMax(detect), medianMax(agree))
}

// startScaleCluster starts n nodes seeded by the first and waits until they
// agree. The nodes are stopped together when the test ends.
func startScaleCluster(t *testing.T, n int) []*Cluster {
	nodes := []*Cluster{startScaleNode(t, fmt.Sprintf("scale-%d-0", n))}
	for i := 1; i < n; i++ {
		// Seeded by the last three nodes started, so no one node answers
		// every join's state sync.
		var seeds []string
		for _, c := range nodes[max(0, i-3):] {
			seeds = append(seeds, gossipAddr(c))
		}
		nodes = append(nodes, startScaleNode(t, fmt.Sprintf("scale-%d-%d", n, i), seeds...))
	}
	t.Cleanup(func() { stopTogether(nodes) })
	testenv.WaitFor(t, 2*convergeTimeout, fmt.Sprintf("%d nodes to agree", n), func() bool { return agreed(nodes, n) })
	return nodes
}

// startScaleNode joins a node with a join deadline long enough for a
// machine busy with every other node, and closes it when the test ends.
func startScaleNode(t *testing.T, name string, seeds ...string) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*convergeTimeout)
	defer cancel()
	c, err := Join(ctx, testConfig(name, seeds...))
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// stopTogether stops nodes at once, as if the machines went away; the
// Close cleanups registered by start then have nothing left to do.
func stopTogether(nodes []*Cluster) {
	var wg sync.WaitGroup
	for _, c := range nodes {
		wg.Go(func() { _ = c.shutdown() })
	}
	wg.Wait()
}

// joinAndLeave returns the milliseconds from the start of Join until every
// node agrees on the ring with the newcomer, and from its Leave until every
// other node agrees on the ring without it.
func joinAndLeave(t *testing.T, nodes []*Cluster, name string) (joinMS, leaveMS float64) {
	n := len(nodes)
	began := time.Now()
	c := startScaleNode(t, name, gossipAddr(nodes[0]), gossipAddr(nodes[len(nodes)/2]))
	all := append(slices.Clone(nodes), c)
	testenv.WaitFor(t, convergeTimeout, name+" joined everywhere", func() bool { return agreed(all, n+1) })
	joinMS = msSince(began)
	began = time.Now()
	closed := make(chan struct{})
	go func() { _ = c.Close(); close(closed) }()
	testenv.WaitFor(t, convergeTimeout, name+" left everywhere", func() bool { return agreed(nodes, n) })
	leaveMS = msSince(began)
	<-closed
	return joinMS, leaveMS
}

// killAndReplace stops the last node without a leave message and returns
// the milliseconds until no survivor's ring holds it and until the
// survivors agree; then a replacement joins and the returned nodes agree.
func killAndReplace(t *testing.T, nodes []*Cluster, replacement string) (_ []*Cluster, detectMS, agreeMS float64) {
	n := len(nodes)
	victim, survivors := nodes[n-1], slices.Clone(nodes[:n-1])
	killed := time.Now()
	if err := victim.shutdown(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, convergeTimeout, "kill noticed", func() bool { return excluded(survivors, victim.cfg.NodeName) })
	detectMS = msSince(killed)
	testenv.WaitFor(t, convergeTimeout, "survivors agree", func() bool { return agreed(survivors, n-1) })
	agreeMS = msSince(killed)
	c := startScaleNode(t, replacement, gossipAddr(nodes[0]), gossipAddr(nodes[len(nodes)/2]))
	nodes = append(survivors, c)
	testenv.WaitFor(t, convergeTimeout, replacement+" joined everywhere", func() bool { return agreed(nodes, n) })
	return nodes, detectMS, agreeMS
}

// gossipBytes is a go-metrics sink that adds up the bytes memberlist sends
// over UDP and TCP, by every node of the process.
type gossipBytes struct {
	metrics.BlackholeSink
	sent atomic.Int64
}

func (g *gossipBytes) IncrCounterWithLabels(key []string, val float32, _ []metrics.Label) {
	if len(key) == 3 && key[0] == "memberlist" && key[2] == "sent" {
		g.sent.Add(int64(val))
	}
}

// rate returns the bytes per second sent over the next window.
func (g *gossipBytes) rate(window time.Duration) float64 {
	before := g.sent.Load()
	time.Sleep(window)
	return float64(g.sent.Load()-before) / window.Seconds()
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// medianMax formats milliseconds as "median (max)" in seconds.
func medianMax(ms []float64) string {
	return fmt.Sprintf("%.2f s (%.2f)", median(ms)/1000, slices.Max(ms)/1000)
}

// envInts parses a comma-separated list of positive integers from the
// environment, or returns def.
func envInts(t *testing.T, name string, def []int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > math.MaxUint16 {
			t.Fatalf("%s: %q is not a positive count", name, f)
		}
		out = append(out, n)
	}
	return out
}
