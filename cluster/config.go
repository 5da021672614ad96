package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"
)

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("cluster: invalid config")

// Config configures one node. Build it with DefaultConfig, then set at least
// NodeName, BindAddr, InternalAddr, Seeds and SecretKey.
type Config struct {
	// NodeName is the node's unique, stable name in the cluster; a restarted
	// node keeps its name. Required, at most 128 bytes.
	NodeName string
	// BindAddr is the gossip host:port to listen on (UDP and TCP). Port 0
	// picks a free port. Default "0.0.0.0:7946".
	BindAddr string
	// AdvertiseAddr is the gossip host:port other nodes use to reach this
	// node; empty means derived from BindAddr (a wildcard host picks a
	// private interface address).
	AdvertiseAddr string
	// InternalAddr is this node's internal HTTP host:port, carried in node
	// metadata for peers. Required, at most 255 bytes.
	InternalAddr string
	// Seeds are gossip host:port addresses of existing nodes. Join tries
	// them JoinAttempts times, then keeps retrying in the background while
	// seeds are not members. Use IP addresses: a host name never matches a
	// member's address, so it is re-contacted (one push/pull) every
	// RejoinInterval. Empty starts a new cluster.
	Seeds []string
	// SecretKey is the shared gossip encryption key: 16, 24 or 32 bytes
	// (AES-128/192/256). Required unless Insecure is set.
	SecretKey []byte
	// Insecure allows gossip without encryption. For tests only.
	Insecure bool

	// PartitionCount, ReplicationFactor and Load decide placement and must
	// be identical on every node: a node advertising other values is refused.
	// The defaults were chosen by measurement (see the ring tests): max/mean
	// keys per member ≤ 1.16 and key movement on a join ≤ 1.03 × ideal at 3,
	// 5 and 10 members.

	// PartitionCount is the number of partitions keys hash into (a prime
	// spreads keys evenly). Default 4093.
	PartitionCount int
	// ReplicationFactor is the number of virtual nodes per member on the
	// hash circle. Default 100.
	ReplicationFactor int
	// Load is the bounded-load factor: no member owns more than
	// ceil(Load × PartitionCount / members) partitions. In [1, 10]. Default 1.15.
	Load float64

	// Timings are the memberlist failure-detection and gossip timings.
	Timings Timings

	// RebuildDebounce is how long membership must be quiet before the ring
	// is rebuilt. Default 100ms.
	RebuildDebounce time.Duration
	// RebuildMaxDelay bounds the debounce under constant churn. Default 1s.
	RebuildMaxDelay time.Duration

	// JoinAttempts is how many rounds over Seeds Join makes before it
	// returns and leaves retrying to the background. Default 5.
	JoinAttempts int
	// JoinBackoff is the pause after the first failed round; it doubles
	// each round up to RejoinInterval. Default 200ms.
	JoinBackoff time.Duration
	// RejoinInterval is how often the background loop retries seeds and
	// recently failed members that are not alive (partition healing).
	// Default 2s.
	RejoinInterval time.Duration
	// ReconnectWindow is how long a failed member's address is retried.
	// Default 5m.
	ReconnectWindow time.Duration

	// MaxBroadcastBytes is the largest Broadcast payload. Default 1024,
	// at most 1200 (a broadcast must fit one UDP packet).
	MaxBroadcastBytes int
	// BroadcastRetransmitMult scales how many times each node sends a
	// broadcast on (× log10(members+1), at least ×1). Higher than
	// memberlist's own RetransmitMult: on 5 healthy nodes, 4 sends per
	// node miss a given member in roughly 1 of 1000 messages, 8 sends in 1
	// of 10^6. But memberlist keeps gossiping to failed nodes for 30 s: on
	// the 3-node side of a partition, half of each node's sends go to the
	// 2 lost nodes, and 8 sends miss a given member in about 1 of 1000
	// messages (the netns test's broadcast during a partition missed a
	// node once in 21 runs with 8); 16 sends in about 1 of 10^6.
	// Default 16.
	BroadcastRetransmitMult int
	// BroadcastBacklog bounds queued broadcasts; beyond it the oldest are
	// dropped. Default 1024.
	BroadcastBacklog int
	// DedupWindow is how many recent message ids a node remembers to drop
	// duplicates. Default 65536.
	DedupWindow int
	// HandlerQueue is how many received messages may wait for the handler;
	// beyond it messages are dropped and counted. Default 1024.
	HandlerQueue int
	// LeaveTimeout bounds how long Leave waits for the leave message to be
	// sent. Default 2s.
	LeaveTimeout time.Duration

	// Logger receives cluster and memberlist logs. Default slog.Default().
	Logger *slog.Logger
}

// Timings are memberlist's failure-detector knobs.
type Timings struct {
	// ProbeInterval is the time between failure probes. Default 400ms.
	ProbeInterval time.Duration
	// ProbeTimeout is the wait for a probe's ack (LAN RTT). Default 200ms.
	ProbeTimeout time.Duration
	// SuspicionMult scales the suspicion timeout (× ProbeInterval ×
	// log10(members), at least ×1). Default 3.
	SuspicionMult int
	// SuspicionMaxTimeoutMult caps the suspicion timeout at this multiple of
	// the minimum when few confirmations arrive. Default 3.
	SuspicionMaxTimeoutMult int
	// GossipInterval is the time between gossip rounds. Default 100ms.
	GossipInterval time.Duration
	// GossipNodes is how many nodes each round gossips to. Default 3.
	GossipNodes int
	// PushPullInterval is the time between full state syncs. Default 10s.
	PushPullInterval time.Duration
	// RetransmitMult scales how many times a broadcast is retransmitted
	// (× log10(members+1)). Default 4.
	RetransmitMult int
	// TCPTimeout bounds TCP push/pull and stream operations. Default 2s.
	TCPTimeout time.Duration
	// DeadNodeReclaim is how long after a node is declared dead its name may
	// reappear at a new address (restart on a new IP). Default 1s.
	DeadNodeReclaim time.Duration
}

// DefaultConfig returns LAN defaults under which a dead node is noticed in
// about three seconds on loopback.
func DefaultConfig() Config {
	return Config{
		BindAddr:       "0.0.0.0:7946",
		PartitionCount: 4093, ReplicationFactor: 100, Load: 1.15,
		Timings: Timings{
			ProbeInterval: 400 * time.Millisecond, ProbeTimeout: 200 * time.Millisecond,
			SuspicionMult: 3, SuspicionMaxTimeoutMult: 3,
			GossipInterval: 100 * time.Millisecond, GossipNodes: 3,
			PushPullInterval: 10 * time.Second, RetransmitMult: 4,
			TCPTimeout: 2 * time.Second, DeadNodeReclaim: time.Second,
		},
		RebuildDebounce: 100 * time.Millisecond, RebuildMaxDelay: time.Second,
		JoinAttempts: 5, JoinBackoff: 200 * time.Millisecond,
		RejoinInterval: 2 * time.Second, ReconnectWindow: 5 * time.Minute,
		MaxBroadcastBytes: 1024, BroadcastRetransmitMult: 16, BroadcastBacklog: 1024, DedupWindow: 65536,
		HandlerQueue: 1024, LeaveTimeout: 2 * time.Second,
	}
}

// Validate reports the first invalid field, wrapping ErrConfig.
func (c Config) Validate() error {
	for _, check := range []func() error{c.validateIdentity, c.validateSecurity, c.validateRing, c.validateSizes, c.Timings.validate, c.validateLoops} {
		if err := check(); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	return nil
}

func (c Config) validateIdentity() error {
	switch {
	case c.NodeName == "" || len(c.NodeName) > 128:
		return fmt.Errorf("NodeName must be 1..128 bytes, got %d", len(c.NodeName))
	case c.InternalAddr == "" || len(c.InternalAddr) > 255:
		return fmt.Errorf("InternalAddr must be 1..255 bytes, got %d", len(c.InternalAddr))
	}
	if _, _, err := splitHostPort(c.BindAddr); err != nil {
		return fmt.Errorf("BindAddr: %w", err)
	}
	if c.AdvertiseAddr != "" {
		if _, _, err := splitHostPort(c.AdvertiseAddr); err != nil {
			return fmt.Errorf("AdvertiseAddr: %w", err)
		}
	}
	for _, s := range c.Seeds {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return fmt.Errorf("seed %q: %w", s, err)
		}
	}
	return nil
}

func (c Config) validateSecurity() error {
	switch len(c.SecretKey) {
	case 16, 24, 32:
		return nil
	case 0:
		if c.Insecure {
			return nil
		}
		return errors.New("SecretKey is required (16, 24 or 32 bytes) unless Insecure is set")
	}
	return fmt.Errorf("SecretKey must be 16, 24 or 32 bytes, got %d", len(c.SecretKey))
}

// ringParams returns the placement parameters.
func (c Config) ringParams() ringParams {
	return ringParams{PartitionCount: c.PartitionCount, ReplicationFactor: c.ReplicationFactor, Load: c.Load}
}

func (c Config) validateRing() error {
	r := c.ringParams()
	switch {
	case r.PartitionCount < 1 || r.PartitionCount > 1<<20:
		return fmt.Errorf("PartitionCount must be 1..%d, got %d", 1<<20, r.PartitionCount)
	case r.ReplicationFactor < 1 || r.ReplicationFactor > 1000:
		return fmt.Errorf("ReplicationFactor must be 1..1000, got %d", r.ReplicationFactor)
	case !(r.Load >= 1 && r.Load <= 10):
		return fmt.Errorf("load factor (Load) must be in [1,10], got %g", r.Load)
	}
	return nil
}

func (c Config) validateSizes() error {
	switch {
	case c.MaxBroadcastBytes < 1 || c.MaxBroadcastBytes > maxBroadcastLimit:
		return fmt.Errorf("MaxBroadcastBytes must be 1..%d, got %d", maxBroadcastLimit, c.MaxBroadcastBytes)
	case c.BroadcastRetransmitMult < 1:
		return fmt.Errorf("BroadcastRetransmitMult must be ≥ 1, got %d", c.BroadcastRetransmitMult)
	case c.BroadcastBacklog < 1:
		return fmt.Errorf("BroadcastBacklog must be ≥ 1, got %d", c.BroadcastBacklog)
	case c.DedupWindow < 1:
		return fmt.Errorf("DedupWindow must be ≥ 1, got %d", c.DedupWindow)
	case c.HandlerQueue < 1:
		return fmt.Errorf("HandlerQueue must be ≥ 1, got %d", c.HandlerQueue)
	}
	return nil
}

func (c Config) validateLoops() error {
	switch {
	case c.RebuildDebounce <= 0 || c.RebuildMaxDelay < c.RebuildDebounce:
		return errors.New("need 0 < RebuildDebounce ≤ RebuildMaxDelay")
	case c.JoinAttempts < 1 || c.JoinBackoff <= 0:
		return errors.New("JoinAttempts and JoinBackoff must be positive")
	case c.RejoinInterval <= 0 || c.ReconnectWindow < 0 || c.LeaveTimeout <= 0:
		return errors.New("RejoinInterval and LeaveTimeout must be positive, ReconnectWindow ≥ 0")
	}
	return nil
}

func (t Timings) validate() error {
	switch {
	case t.ProbeInterval <= 0 || t.ProbeTimeout <= 0 || t.ProbeTimeout > t.ProbeInterval:
		return errors.New("need 0 < Timings.ProbeTimeout ≤ Timings.ProbeInterval")
	case t.SuspicionMult < 1 || t.SuspicionMaxTimeoutMult < 1:
		return errors.New("Timings.SuspicionMult and SuspicionMaxTimeoutMult must be ≥ 1")
	case t.GossipInterval <= 0 || t.GossipNodes < 1 || t.RetransmitMult < 1:
		return errors.New("Timings.GossipInterval, GossipNodes and RetransmitMult must be positive")
	case t.PushPullInterval < 0 || t.TCPTimeout <= 0 || t.DeadNodeReclaim < 0:
		return errors.New("Timings.TCPTimeout must be positive, PushPullInterval and DeadNodeReclaim ≥ 0")
	}
	return nil
}

// splitHostPort parses host:port with a numeric port in 0..65535.
func splitHostPort(s string) (string, int, error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	return h, int(n), nil
}
