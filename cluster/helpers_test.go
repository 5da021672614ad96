package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

var internalPort atomic.Int32

// testConfig returns a loopback config with real encryption and the
// production timings. Set CLUSTER_TEST_LOG=1 to see logs.
func testConfig(name string, seeds ...string) Config {
	cfg := DefaultConfig()
	cfg.NodeName = name
	cfg.BindAddr = "127.0.0.1:0"
	cfg.InternalAddr = fmt.Sprintf("127.0.0.1:%d", 20000+internalPort.Add(1))
	cfg.Seeds = seeds
	cfg.SecretKey = testKey
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("CLUSTER_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return cfg
}

// start joins a node and closes it (gracefully) when the test ends.
func start(t testing.TB, cfg Config, opts ...Option) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Join(ctx, cfg, opts...)
	if err != nil {
		t.Fatalf("join %s: %v", cfg.NodeName, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// startN starts n nodes; all but the first use the first as seed.
func startN(t testing.TB, n int, opts ...Option) []*Cluster {
	t.Helper()
	nodes := []*Cluster{start(t, testConfig("node-0"), opts...)}
	seed := gossipAddr(nodes[0])
	for i := 1; i < n; i++ {
		nodes = append(nodes, start(t, testConfig(fmt.Sprintf("node-%d", i), seed), opts...))
	}
	return nodes
}

func gossipAddr(c *Cluster) string { return c.selfAddr }

// agreed reports whether every node has a ring of exactly want members, the
// same ring version, and sees every member advertising that version, so
// every node would forward.
func agreed(nodes []*Cluster, want int) bool {
	v := nodes[0].RingVersion()
	for _, c := range nodes {
		r := c.Ring()
		if r.Len() != want || r.Version() != v {
			return false
		}
		for _, m := range r.members {
			if m.RingVersion != v {
				return false
			}
		}
	}
	return true
}

// excluded reports whether no node's ring contains name.
func excluded(nodes []*Cluster, name string) bool {
	for _, c := range nodes {
		for _, m := range c.Ring().members {
			if m.Name == name {
				return false
			}
		}
	}
	return true
}
