package cluster

import (
	"testing"

	"pixcdn/internal/testenv"
)

// TestRestartSameNameNewAddress kills a node and immediately starts it again
// under the same name on a new port, before peers have noticed the death: the
// conflicting-address case memberlist refuses until the old address is dead.
func TestRestartSameNameNewAddress(t *testing.T) {
	nodes := startN(t, 3)
	testenv.WaitFor(t, convergeTimeout, "3 nodes to agree", func() bool { return agreed(nodes, 3) })
	old := gossipAddr(nodes[2])
	if err := nodes[2].shutdown(); err != nil {
		t.Fatal(err)
	}
	again := start(t, testConfig("node-2", gossipAddr(nodes[0])))
	if gossipAddr(again) == old {
		t.Fatalf("restart reused address %s", old)
	}
	live := []*Cluster{nodes[0], nodes[1], again}
	d := testenv.WaitFor(t, convergeTimeout, "restarted node accepted at its new address", func() bool {
		if !agreed(live, 3) {
			return false
		}
		for _, c := range live[:2] {
			for _, m := range c.Members() {
				if m.Name == "node-2" && m.GossipAddr != gossipAddr(again) {
					return false
				}
			}
		}
		return true
	})
	t.Logf("restart on a new address: agreed %v after restart", d)
	assertOwnersAgree(t, live, randomKeys(10000, 5))
}

// TestLoneNodeFindsLateSeed starts a node whose seed is not up yet; the
// background rejoin loop must join it once the seed appears.
func TestLoneNodeFindsLateSeed(t *testing.T) {
	probe := start(t, testConfig("probe")) // learn a free port by closing a node
	addr := gossipAddr(probe)
	if err := probe.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig("late-joiner", addr)
	cfg.JoinAttempts = 1
	lone := start(t, cfg)
	if lone.Ring().Len() != 1 {
		t.Fatalf("lone node has %d members", lone.Ring().Len())
	}
	seedCfg := testConfig("seed")
	seedCfg.BindAddr = addr
	seed := start(t, seedCfg)
	testenv.WaitFor(t, convergeTimeout, "late seed joined", func() bool { return agreed([]*Cluster{lone, seed}, 2) })
}
