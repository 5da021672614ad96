package cluster

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"

	"pixcdn/internal/testenv"
)

const convergeTimeout = 30 * time.Second

// randomKeys returns n reproducible random keys.
func randomKeys(n int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "tenant/%x/w=%d", rng.Uint64(), rng.IntN(4000))
	}
	return keys
}

// assertOwnersAgree checks that all nodes name the same owner for every key,
// that exactly the owner calls itself owner, and that Forward is true on
// every other node.
func assertOwnersAgree(t *testing.T, nodes []*Cluster, keys [][]byte) {
	t.Helper()
	for _, k := range keys {
		first, _ := nodes[0].Owner(k)
		for _, c := range nodes {
			m, self := c.Owner(k)
			fwd, ok := c.Forward(k)
			switch {
			case m.Name != first.Name:
				t.Fatalf("key %q: %s says %s, %s says %s", k, nodes[0].cfg.NodeName, first.Name, c.cfg.NodeName, m.Name)
			case self != (m.Name == c.cfg.NodeName):
				t.Fatalf("key %q: self=%v but owner %s on %s", k, self, m.Name, c.cfg.NodeName)
			case ok == self || fwd.Name != m.Name:
				t.Fatalf("key %q on %s: Forward=(%s,%v), owner %s self=%v", k, c.cfg.NodeName, fwd.Name, ok, m.Name, self)
			}
		}
	}
}

func TestFiveNodesJoinLeaveKill(t *testing.T) {
	nodes := startN(t, 5)
	keys := randomKeys(10000, 1)
	d := testenv.WaitFor(t, convergeTimeout, "5 nodes to agree", func() bool { return agreed(nodes, 5) })
	t.Logf("join: 5 nodes agreed %v after the last join", d)
	assertOwnersAgree(t, nodes, keys)
	for _, c := range nodes {
		if got := c.Self(); got.InternalAddr != c.cfg.InternalAddr || got.Share <= 0 {
			t.Fatalf("Self() = %+v", got)
		}
	}

	if err := nodes[4].Close(); err != nil {
		t.Fatalf("graceful close: %v", err)
	}
	d = testenv.WaitFor(t, convergeTimeout, "4 nodes to agree after a leave", func() bool { return agreed(nodes[:4], 4) })
	t.Logf("leave: 4 nodes agreed %v after Close returned", d)
	assertOwnersAgree(t, nodes[:4], keys)

	killed := time.Now()
	if err := nodes[3].shutdown(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, convergeTimeout, "kill to be noticed", func() bool { return excluded(nodes[:3], "node-3") })
	noticed := time.Since(killed)
	testenv.WaitFor(t, convergeTimeout, "3 nodes to agree after a kill", func() bool { return agreed(nodes[:3], 3) })
	t.Logf("kill: dead node out of every ring after %v, full agreement after %v", noticed, time.Since(killed))
	if noticed > 10*time.Second { // tuned for ~3s; generous for loaded CI machines
		t.Errorf("kill noticed after %v, want about 3s", noticed)
	}
	assertOwnersAgree(t, nodes[:3], keys)
}

func TestMembersCarryInternalAddrAndShares(t *testing.T) {
	nodes := startN(t, 3)
	testenv.WaitFor(t, convergeTimeout, "3 nodes to agree", func() bool { return agreed(nodes, 3) })
	want := map[string]string{}
	for _, c := range nodes {
		want[c.cfg.NodeName] = c.cfg.InternalAddr
	}
	total := 0.0
	for _, m := range nodes[1].Members() {
		if want[m.Name] != m.InternalAddr || m.GossipAddr == "" {
			t.Fatalf("member %+v, want internal addr %q", m, want[m.Name])
		}
		total += m.Share
	}
	if total < 0.999 || total > 1.001 {
		t.Fatalf("shares sum to %v", total)
	}
}

func TestSubscribeReportsJoinAndLeave(t *testing.T) {
	a := start(t, testConfig("a"))
	events, cancel := a.Subscribe()
	defer cancel()
	b := start(t, testConfig("b", gossipAddr(a)))
	expectEvent(t, events, MemberJoined, "b")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, events, MemberLeft, "b")
	cancel()
	cancel() // idempotent
}

func expectEvent(t *testing.T, ch <-chan Event, typ EventType, name string) {
	t.Helper()
	deadline := time.After(convergeTimeout)
	for {
		select {
		case e := <-ch:
			if e.Type == typ && e.Member.Name == name {
				return
			}
		case <-deadline:
			t.Fatalf("no %v event for %s", typ, name)
		}
	}
}

func TestDifferentRingParamsAreRefused(t *testing.T) {
	a := start(t, testConfig("a"))
	cfg := testConfig("b", gossipAddr(a))
	cfg.Load = 1.25
	cfg.JoinAttempts = 1
	b := start(t, cfg)
	// b's push/pull reaches a, but each side refuses the other's alive
	// message. Absence cannot be awaited: watch both rings for a while.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if a.Ring().Len() != 1 || b.Ring().Len() != 1 {
			t.Fatalf("mixed ring params joined: a sees %d, b sees %d", a.Ring().Len(), b.Ring().Len())
		}
		time.Sleep(10 * time.Millisecond)
	}
	d := &delegate{c: a}
	other := &memberlist.Node{Name: "b", Meta: nodeMeta{Fingerprint: cfg.ringParams().fingerprint(), InternalAddr: "x:1"}.encode()}
	if err := d.NotifyAlive(other); err == nil {
		t.Fatal("NotifyAlive accepted different ring parameters")
	}
	other.Meta = []byte{0xff}
	if err := d.NotifyAlive(other); !errors.Is(err, ErrMeta) {
		t.Fatalf("NotifyAlive(bad meta) = %v, want ErrMeta", err)
	}
}

func TestLeavingNodeKeepsItsRingWithoutErrors(t *testing.T) {
	// After Leave a node still serves the requests it is draining: its own
	// entry is marked leaving, so a rebuild cannot place it, and the last
	// node of a cluster has no ring to build at all. The previous ring
	// stays, and that is not a ring error.
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d nodes", n), func(t *testing.T) {
			nodes := startN(t, n)
			testenv.WaitFor(t, convergeTimeout, "nodes to agree", func() bool { return agreed(nodes, n) })
			last := nodes[n-1]
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := last.Leave(ctx); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * last.cfg.RebuildMaxDelay)
			if st := last.Stats(); st.RingErrors != 0 {
				t.Fatalf("%d ring errors after Leave", st.RingErrors)
			}
			if m, _ := last.Owner([]byte("k")); m.Name == "" {
				t.Fatal("the leaving node has no ring")
			}
		})
	}
}
