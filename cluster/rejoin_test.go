package cluster

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestStaleMembersNeedTwoTicks(t *testing.T) {
	ms := names(3)
	ms[1].GossipAddr, ms[2].GossipAddr = "10.0.0.2:7946", "10.0.0.3:7946"
	r, err := buildRing(DefaultConfig().ringParams(), ms, "node-00")
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.members {
		r.members[i].RingVersion = r.version
	}
	r.members[2].RingVersion = 42 // node-02 advertises an old ring
	c := &Cluster{}
	c.ring.Store(r)
	first, lagging := c.staleMembers(nil)
	if len(first) != 0 || lagging["node-02"] != "10.0.0.3:7946" || len(lagging) != 1 {
		t.Fatalf("first tick: targets %v, lagging %v", first, lagging)
	}
	second, _ := c.staleMembers(lagging)
	if !slices.Equal(second, []string{"10.0.0.3:7946"}) {
		t.Fatalf("second tick: targets %v", second)
	}
}

func TestReconnectsExpire(t *testing.T) {
	r := reconnects{addrs: map[string]reconnect{}}
	now := time.Now()
	r.remember("old", "10.0.0.1:7946", now.Add(-time.Hour))
	r.remember("new", "10.0.0.2:7946", now)
	got, conflict := r.targets(now, time.Minute)
	if !slices.Equal(got, []string{"10.0.0.2:7946"}) || conflict || r.count() != 1 {
		t.Fatalf("targets %v conflict %v count %d", got, conflict, r.count())
	}
	r.selfConflict(now)
	if _, conflict := r.targets(now, time.Minute); !conflict {
		t.Fatal("recent self conflict not reported")
	}
}

func TestJoinHonoursCancelledContext(t *testing.T) {
	cfg := testConfig("impatient", "127.0.0.1:1") // nothing listens there
	cfg.JoinAttempts = 100
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, err := Join(ctx, cfg)
	if !errors.Is(err, context.Canceled) || c != nil {
		t.Fatalf("Join = %v, %v; want context.Canceled", c, err)
	}
}

func TestJoinRejectsInvalidConfig(t *testing.T) {
	if _, err := Join(context.Background(), DefaultConfig()); !errors.Is(err, ErrConfig) {
		t.Fatalf("err = %v, want ErrConfig", err)
	}
}
