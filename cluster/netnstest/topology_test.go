package netnstest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// topology is a switch namespace with a bridge and one namespace per node,
// each with one veth on the bridge and the address 10.213.0.(i+1)/24. All of
// it lives in namespaces this test creates; the root namespace is untouched.
type topology struct {
	prefix string
	nodes  int
}

func (tp topology) sw() string          { return tp.prefix + "sw" }
func (tp topology) ns(i int) string     { return fmt.Sprintf("%sn%d", tp.prefix, i) }
func (tp topology) ip(i int) string     { return fmt.Sprintf("10.213.0.%d", i+1) }
func (tp topology) gossip(i int) string { return tp.ip(i) + ":7946" }

// ip runs the ip command and fails the test on error.
func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// create builds the topology and registers its removal with t.Cleanup, so it
// is removed even when the test fails.
func (tp topology) create(t *testing.T) {
	t.Cleanup(func() { tp.destroy(t) })
	ip(t, "netns", "add", tp.sw())
	ip(t, "-n", tp.sw(), "link", "add", "br0", "type", "bridge")
	ip(t, "-n", tp.sw(), "link", "set", "br0", "up")
	for i := range tp.nodes {
		ns, peer := tp.ns(i), fmt.Sprintf("p%d", i)
		ip(t, "netns", "add", ns)
		ip(t, "-n", ns, "link", "set", "lo", "up")
		ip(t, "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", peer, "netns", tp.sw())
		ip(t, "-n", ns, "addr", "add", tp.ip(i)+"/24", "dev", "eth0")
		ip(t, "-n", ns, "link", "set", "eth0", "up")
		ip(t, "-n", tp.sw(), "link", "set", peer, "master", "br0")
		ip(t, "-n", tp.sw(), "link", "set", peer, "up")
	}
}

// destroy deletes every namespace of the topology that exists.
func (tp topology) destroy(t *testing.T) {
	names := []string{tp.sw()}
	for i := range tp.nodes {
		names = append(names, tp.ns(i))
	}
	for _, n := range names {
		if _, err := os.Stat("/run/netns/" + n); err != nil {
			continue
		}
		if out, err := exec.Command("ip", "netns", "del", n).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", n, err, out)
		}
	}
}

// partition cuts every path between the nodes of a and the nodes of b with
// blackhole routes (packets are dropped silently, as on a broken link).
func (tp topology) partition(t *testing.T, a, b []int) { tp.routes(t, "add", a, b) }

// heal removes the blackhole routes of partition.
func (tp topology) heal(t *testing.T, a, b []int) { tp.routes(t, "del", a, b) }

func (tp topology) routes(t *testing.T, op string, a, b []int) {
	for _, x := range a {
		for _, y := range b {
			ip(t, "-n", tp.ns(x), "route", op, "blackhole", tp.ip(y)+"/32")
			ip(t, "-n", tp.ns(y), "route", op, "blackhole", tp.ip(x)+"/32")
		}
	}
}
