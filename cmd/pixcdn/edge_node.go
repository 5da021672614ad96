package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"

	"pixcdn/cachestore"
	"pixcdn/cluster"
	"pixcdn/edge"
	"pixcdn/edge/certwatch"
	"pixcdn/edge/eventfeed"
	"pixcdn/edge/imgurl"
	"pixcdn/edge/peer"
	"pixcdn/transform"
	"pixcdn/transform/libvips"
)

// edgeNode is a running edge: its server, listeners and dependencies, in
// the order they are stopped.
type edgeNode struct {
	name      string
	srv       *edge.Server
	cluster   *cluster.Cluster // nil for a single node
	cache     *cachestore.Store
	feed      atomic.Pointer[feedPosition] // the feed position, if the node follows the feed
	processor *libvips.Processor
	certs     *certwatch.Watch // the public port's certificate; nil without TLS
	closers   []func() error   // origin resources
	failed    chan error
}

// startEdgeNode wires the real packages into an edge.Server and starts
// serving. On error everything already started is stopped.
func startEdgeNode(ctx context.Context, s *edgeSettings, log *slog.Logger) (_ *edgeNode, err error) {
	n := &edgeNode{name: s.nodeName(), failed: make(chan error, 3)}
	defer func() {
		if err != nil {
			n.stop(log) // n, not the result, which every error return sets to nil
		}
	}()
	if err := n.watchCertificate(s, log); err != nil {
		return nil, err
	}
	if n.cache, err = openEdgeCache(s, log, func() { n.restoreFeedPosition(log) }); err != nil {
		return nil, err
	}
	if n.processor, err = newProcessor(s); err != nil {
		return nil, err
	}
	order, err := formatOrder(s)
	if err != nil {
		return nil, badUsage(err)
	}
	deps := edge.Deps{Cache: cacheAdapter{n.cache, log}, Codec: edge.NewCodec(n.processor, order...)}
	if err := n.wireOrigin(s, log, &deps); err != nil {
		return nil, err
	}
	if file, ok := deps.FeedState.(eventfeed.FileSeq); ok {
		pos := &feedPosition{file: file}
		n.feed.Store(pos)
		deps.FeedState = pos
	}
	publicLn, internalLn, err := listenEdge(s)
	if err != nil {
		return nil, err
	}
	// The broadcast handler is registered before the server exists.
	var srvRef atomic.Pointer[edge.Server]
	if err := n.wireCluster(ctx, s, log, &deps, &srvRef); err != nil {
		publicLn.Close()
		internalLn.Close()
		return nil, err
	}
	if n.srv, err = edge.New(edgeConfig(s, n.name, log), deps); err != nil {
		publicLn.Close()
		internalLn.Close()
		return nil, badUsage(err)
	}
	srvRef.Store(n.srv)
	if err := n.srv.RegisterMetrics(edgeCollectors(s, n.cache, deps.Origin)...); err != nil {
		publicLn.Close()
		internalLn.Close()
		return nil, err
	}
	n.srv.Start()
	if err := n.servePublic(s, publicLn); err != nil {
		publicLn.Close()
		internalLn.Close()
		return nil, err
	}
	go func() { n.failed <- n.srv.ServeInternal(internalLn) }()
	return n, nil
}

// transformSlots returns the transform workers and queue depth of s.
func transformSlots(s *edgeSettings) (workers, queue int) {
	workers = libvips.DefaultConfig().Workers
	if s.Workers > 0 {
		workers = s.Workers
	}
	// A deeper queue than libvips' default: when an owner dies, its peers
	// take over its fills all at once, and those requests must not fail.
	queue = 16 * workers
	if s.TransformQueue > 0 {
		queue = s.TransformQueue
	}
	return workers, queue
}

func newProcessor(s *edgeSettings) (*libvips.Processor, error) {
	cfg := libvips.DefaultConfig()
	cfg.Workers, cfg.QueueDepth = transformSlots(s)
	cfg.AVIFEffort = s.AVIFEffort
	if s.MaxOutputPixels > 0 {
		cfg.Limits.MaxOutputPixels = s.MaxOutputPixels
	}
	if s.MaxEffectWork > 0 {
		cfg.Limits.MaxEffectWork = s.MaxEffectWork
	}
	p, err := libvips.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("transform: %w", err)
	}
	return p, nil
}

// formatOrder returns the --format-order of s, or nil for the default.
func formatOrder(s *edgeSettings) (transform.FormatOrder, error) {
	if s.FormatOrder == "" {
		return nil, nil
	}
	order, err := transform.ParseFormatOrder(s.FormatOrder)
	if err != nil {
		return nil, fmt.Errorf("format-order: %w", err)
	}
	return order, nil
}

func listenEdge(s *edgeSettings) (public, internal net.Listener, err error) {
	if public, err = net.Listen("tcp", s.Public); err != nil {
		return nil, nil, fmt.Errorf("public: %w", err)
	}
	if internal, err = net.Listen("tcp", s.Internal); err != nil {
		public.Close()
		return nil, nil, fmt.Errorf("internal: %w", err)
	}
	return public, internal, nil
}

// openEdgeCache opens the cache; onReopen runs after the store recreated
// its lost directory (see cachestore.Config.OnReopen).
func openEdgeCache(s *edgeSettings, log *slog.Logger, onReopen func()) (*cachestore.Store, error) {
	cfg := cachestore.DefaultConfig()
	cfg.MemoryBytes, cfg.DiskBytes = cacheBudgets(s)
	cfg.Logger, cfg.OnReopen = log, onReopen
	if s.CacheDir != "" {
		// --cache-dir holds the store in a subfolder and the feed position
		// beside it, so neither trips over the other's files.
		if err := os.MkdirAll(s.CacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
		cfg.Dir = filepath.Join(s.CacheDir, "store")
	}
	st, err := cachestore.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return st, nil
}

// restoreFeedPosition writes the feed position again if its file went
// with a removed cache directory.
func (n *edgeNode) restoreFeedPosition(log *slog.Logger) {
	if pos := n.feed.Load(); pos != nil {
		if err := pos.restore(); err != nil {
			log.Warn("cannot save feed position again after the cache directory was recreated", "err", err)
		}
	}
}

func edgeConfig(s *edgeSettings, name string, log *slog.Logger) edge.Config {
	cfg := edge.DefaultConfig()
	cfg.NodeName, cfg.Logger = name, log
	cfg.ClusterSecret, cfg.PurgeToken, cfg.Profiling = s.ClusterSecret, s.PurgeToken, s.Pprof
	cfg.RequestTimeout, cfg.HotEntries, cfg.MasterBound = s.RequestTimeout, s.HotEntries, s.MasterBound
	cfg.Prerender = s.Prerender
	if cfg.MaxMissesPerClient = s.MaxMissesPerClient; cfg.MaxMissesPerClient == 0 {
		workers, queue := transformSlots(s)
		cfg.MaxMissesPerClient = max(1, (workers+queue)/2)
	}
	cfg.FillTimeout = max(s.RequestTimeout, s.OriginTimeout) + 5*time.Second
	cfg.FormatBudgets, cfg.FallbackMaxAge = s.FormatBudgets, s.FallbackMaxAge
	if cfg.BackgroundRenders = s.BackgroundRenders; cfg.BackgroundRenders == 0 {
		workers, _ := transformSlots(s)
		cfg.BackgroundRenders = max(1, workers/2)
	}
	cfg.Limits.MaxConnsPerIP, cfg.Limits.MaxURLBytes, cfg.Limits.MaxHeaderBytes = s.MaxConnsPerIP, s.MaxURL, s.MaxHeader
	cfg.Limits.ReadTimeout, cfg.Limits.WriteTimeout, cfg.Limits.IdleTimeout = s.ReadTimeout, s.WriteTimeout, s.IdleTimeout
	cfg.Limits.WriteBufferBytes = s.WriteBuffer
	cfg.TracerProvider = s.tracerProvider()
	if cfg.TracerProvider != nil {
		cfg.Propagator = otel.GetTextMapPropagator()
	}
	cfg.URL = imgurl.Config{RequireSignature: s.RequireSignature, PresetsOnly: s.PresetsOnly, Presets: map[string]string{}}
	for _, k := range s.SignKey {
		cfg.URL.SignKeys = append(cfg.URL.SignKeys, []byte(k))
	}
	for _, p := range s.Preset {
		name, opts, _ := strings.Cut(p, ":")
		cfg.URL.Presets[name] = opts
	}
	return cfg
}

// wireCluster joins the gossip cluster (unless single-node) and sets the
// ring, peer client and broadcaster.
func (n *edgeNode) wireCluster(ctx context.Context, s *edgeSettings, log *slog.Logger, deps *edge.Deps, srv *atomic.Pointer[edge.Server]) error {
	if s.Gossip == "" {
		deps.Ring = singleRing{name: n.name, addr: s.Internal}
		return nil
	}
	key, err := gossipKey(s.GossipKey)
	if err != nil {
		return badUsage(err)
	}
	cfg := cluster.DefaultConfig()
	cfg.NodeName, cfg.BindAddr, cfg.InternalAddr, cfg.SecretKey, cfg.Logger = n.name, s.Gossip, s.Internal, key, log
	for _, j := range s.Join {
		if j != "" && j != s.Gossip {
			cfg.Seeds = append(cfg.Seeds, j)
		}
	}
	handler := func(msg []byte) {
		if e := srv.Load(); e != nil {
			e.HandleBroadcast(msg)
		}
	}
	if n.cluster, err = cluster.Join(ctx, cfg, cluster.WithHandler(handler)); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	pcfg := peer.DefaultConfig()
	pcfg.Secret, pcfg.Self = s.ClusterSecret, n.name
	if s.enabled() {
		pcfg.Propagator = otel.GetTextMapPropagator()
	}
	peers, err := peer.NewClient(pcfg)
	if err != nil {
		return badUsage(err)
	}
	deps.Ring, deps.Peers, deps.Broadcaster = clusterRing{n.cluster}, peers, n.cluster
	return nil
}

// gossipKey accepts 16/24/32 raw bytes or their hex encoding.
func gossipKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && (len(b) == 16 || len(b) == 24 || len(b) == 32) {
		return b, nil
	}
	if len(s) == 16 || len(s) == 24 || len(s) == 32 {
		return []byte(s), nil
	}
	return nil, errors.New("gossip-key: want 16, 24 or 32 bytes, or their hex")
}

// stop shuts the node down: leave the ring first (peers stop forwarding
// here), then drain requests, then close the cache and the processor.
func (n *edgeNode) stop(log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if n.cluster != nil {
		if err := n.cluster.Leave(ctx); err != nil {
			log.Warn("leaving the cluster", "err", err)
		}
	}
	if n.srv != nil {
		if err := n.srv.Close(ctx); err != nil {
			log.Warn("draining requests", "err", err)
		}
	}
	if n.cluster != nil {
		n.cluster.Close()
	}
	for _, c := range n.closers {
		c()
	}
	if n.certs != nil {
		n.certs.Close()
	}
	if n.processor != nil {
		n.processor.Close()
	}
	if n.cache != nil {
		if err := n.cache.Close(); err != nil {
			log.Warn("closing the cache", "err", err)
		}
	}
}

func feedStatePath(s *edgeSettings) string {
	if s.FeedState != "" {
		return s.FeedState
	}
	if s.CacheDir != "" {
		return filepath.Join(s.CacheDir, "feed.seq")
	}
	return ""
}
