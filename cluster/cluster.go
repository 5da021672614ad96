package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/memberlist"
)

// ErrClosed is returned by operations on a closed Cluster.
var ErrClosed = errors.New("cluster: closed")

// Cluster is this node's membership in the cluster. All methods are safe for
// concurrent use. Owner, Owners, Forward, Members, Self and RingVersion read
// an immutable ring snapshot through an atomic pointer: they never lock and
// never block.
type Cluster struct {
	cfg      Config
	log      *slog.Logger
	params   ringParams
	fp       uint64 // params.fingerprint()
	ml       *memberlist.Memberlist
	ring     atomic.Pointer[Ring]
	ids      *idSource
	dedup    *dedup
	queue    *memberlist.TransmitLimitedQueue
	handler  func(msg []byte)
	inbox    chan []byte
	subs     subscribers
	stats    counters
	reconn   reconnects
	view     view   // live nodes, copied in memberlist callbacks
	selfAddr string // our gossip host:port, fixed after Create

	advertised atomic.Uint64 // ring version in our metadata
	leaving    atomic.Bool   // Leave called: advertise the leaving flag
	changed    chan struct{} // cap 1: membership changed, rebuild
	stop       chan struct{} // closed by Close
	wg         sync.WaitGroup
	closeOnce  sync.Once
	lifeMu     sync.Mutex // orders Leave before gossip shutdown
	closeErr   error
}

// Option customises Join.
type Option func(*Cluster)

// WithHandler sets the receiver of other nodes' broadcasts. It runs on one
// goroutine owned by the Cluster, one message at a time, and owns msg. A slow
// handler makes messages queue (Config.HandlerQueue), then drop.
func WithHandler(h func(msg []byte)) Option { return func(c *Cluster) { c.handler = h } }

// Join starts gossip on cfg.BindAddr and joins cfg.Seeds. It retries the
// seeds cfg.JoinAttempts rounds with backoff; if none answers it still
// returns the running node (alone) and keeps retrying in the background. It
// returns an error for an invalid config, a bind failure, or when ctx ends
// before a seed answered (the node is then closed).
func Join(ctx context.Context, cfg Config, opts ...Option) (*Cluster, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := newCluster(cfg, opts)
	mlc, err := c.memberlistConfig()
	if err != nil {
		return nil, err
	}
	if c.ml, err = memberlist.Create(mlc); err != nil {
		return nil, fmt.Errorf("cluster: start gossip on %s: %w", cfg.BindAddr, err)
	}
	c.selfAddr = c.view.snapshot()[cfg.NodeName].addr
	c.rebuild() // self-only ring with the real gossip address
	c.wg.Add(3)
	go c.rebuildLoop()
	go c.handlerLoop()
	go c.rejoinLoop()
	if err := c.joinSeeds(ctx); err != nil {
		_ = c.shutdown()
		return nil, err
	}
	return c, nil
}

func newCluster(cfg Config, opts []Option) *Cluster {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	c := &Cluster{
		cfg: cfg, log: log.With("component", "cluster", "node", cfg.NodeName),
		params: cfg.ringParams(), fp: cfg.ringParams().fingerprint(),
		ids: newIDSource(), dedup: newDedup(cfg.DedupWindow),
		inbox: make(chan []byte, cfg.HandlerQueue), changed: make(chan struct{}, 1),
		stop: make(chan struct{}), reconn: reconnects{addrs: map[string]reconnect{}},
	}
	for _, o := range opts {
		o(c)
	}
	c.queue = &memberlist.TransmitLimitedQueue{
		// memberlist keeps gossiping to recently failed nodes, so count them
		// too: otherwise those wasted sends eat the retransmit budget.
		NumNodes:       func() int { return c.ring.Load().Len() + c.reconn.count() },
		RetransmitMult: cfg.BroadcastRetransmitMult,
	}
	self := Member{Name: cfg.NodeName, InternalAddr: cfg.InternalAddr}
	r, err := buildRing(c.params, []Member{self}, cfg.NodeName)
	if err != nil { // cannot happen after Validate; keep a usable value anyway
		panic(err)
	}
	c.ring.Store(r)
	c.advertised.Store(r.Version())
	return c
}

// Owner returns the member owning key and whether that is this node.
// Lock-free; the Member is a copy.
func (c *Cluster) Owner(key []byte) (Member, bool) { return c.ring.Load().Owner(key) }

// Forward returns the owner of key and true when the request should be
// forwarded to it: the owner is another node and advertises the same ring
// version as this node. Otherwise serve locally. Lock-free.
func (c *Cluster) Forward(key []byte) (Member, bool) {
	r := c.ring.Load()
	m, self := r.Owner(key)
	return m, !self && m.RingVersion == r.Version()
}

// Owners returns up to n distinct members for key in fallback order, the
// owner first. The slice belongs to the caller.
func (c *Cluster) Owners(key []byte, n int) []Member { return c.ring.Load().Owners(key, n) }

// Members returns the members of the current ring, sorted by name, with their
// ring shares. The slice belongs to the caller.
func (c *Cluster) Members() []Member { return c.ring.Load().Members() }

// Self returns this node as a member. Outside the ring (after Leave) its
// Partitions and Share are zero.
func (c *Cluster) Self() Member {
	r := c.ring.Load()
	if r.self >= 0 {
		return r.members[r.self]
	}
	return Member{Name: c.cfg.NodeName, InternalAddr: c.cfg.InternalAddr, RingVersion: c.advertised.Load()}
}

// RingVersion identifies the current member set and ring parameters: equal
// on two nodes exactly when they place every key identically.
func (c *Cluster) RingVersion() uint64 { return c.ring.Load().Version() }

// Ring returns the current immutable ring snapshot.
func (c *Cluster) Ring() *Ring { return c.ring.Load() }
