package edge

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/singleflight"

	"pixcdn/edge/clientquota"
	"pixcdn/edge/connlimit"
	"pixcdn/edge/connwatch"
	"pixcdn/edge/hotcache"
	"pixcdn/edge/imgurl"
	"pixcdn/edge/negcache"
	"pixcdn/edge/urlmemo"
)

// Server is one edge node's request path: a public handler and an internal
// handler. It is safe for concurrent use. Close stops its background work.
type Server struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	parser  *imgurl.Parser
	metrics *metrics
	neg     *negcache.Cache
	// signedImages remembers, by original key, images known to be signed,
	// so unsigned requests for them are refused before any fill.
	signedImages *negcache.Cache
	flights      singleflight.Group // original fetches, by original key
	stored       storeMarks         // originals stored, by stripe (originalread.go)
	fills        fillGroup          // variant and original fills, by request key
	// misses bounds the fills one client may wait on at once.
	misses *clientquota.Quota
	purges *purgeLog
	memo   *urlmemo.Memo[*request]
	// clusterViews reuses the last /_cluster?scope=cluster view briefly.
	clusterViews clusterViewCache
	hot          *hotcache.Cache[Entry] // nil when disabled; never holds signed images
	// masters is the Codec's MasterCodec; nil when masters are off
	// (Config.MasterBound 0, or a Codec without them).
	masters MasterCodec
	// prerenders queues background work for announced images; nil when
	// there is none to do (no event feed, or no masters and no presets).
	prerenders chan prerenderJob
	policy     policyMemo
	now        func() time.Time // test hook; nil means time.Now
	// tracer is nil with tracing off; propagator reads incoming trace
	// context (tracing.go).
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	gen        atomic.Uint64 // purge generation: bumped after every purge

	// settling holds origin events' purges to apply once more, settleAfter
	// (purgeSettle; tests shorten it) after their first application.
	settling *settleQueue
	// feed is what this node has applied of the origin's event feed, to
	// refuse peer answers from before it (feedPositions).
	feed        *feedPositions
	settleAfter time.Duration

	ctx    context.Context // cancelled by Close; parent of fills and background work
	cancel context.CancelFunc
	bg     sync.WaitGroup
	revals chan struct{} // semaphore bounding background revalidations
	// renders is the background lane bounding slow renders (budget.go);
	// budget is nil when format budgets are off.
	renders chan struct{}
	budget  FormatBudget

	mu      sync.Mutex
	servers []*fasthttp.Server
	watches []*connwatch.Watch // the servers' connection timeouts
	// connLimit caps connections per client address across the public
	// listeners.
	connLimit *connlimit.Limit
	closeOnce sync.Once
	ready     chan struct{}
}

// New returns a Server for a valid cfg and complete deps. It starts no
// goroutines until Start or Serve* is called.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Cache == nil || deps.Ring == nil || deps.Origin == nil || deps.Codec == nil {
		return nil, errors.New("edge: Cache, Ring, Origin and Codec are required")
	}
	if deps.Events != nil && deps.FeedState == nil {
		return nil, errors.New("edge: Events needs FeedState")
	}
	parser, err := imgurl.New(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		cfg: cfg, deps: deps, log: cfg.Logger, parser: parser, metrics: newMetrics(),
		neg: negcache.New(cfg.NegativeEntries), purges: newPurgeLog(4096),
		settling: newSettleQueue(), settleAfter: purgeSettle, feed: newFeedPositions(),
		signedImages: negcache.New(cfg.NegativeEntries), misses: clientquota.New(cfg.MaxMissesPerClient),
		memo:   newRequestMemo(16384),
		revals: make(chan struct{}, cfg.Revalidations), ready: make(chan struct{}),
		connLimit: connlimit.New(cfg.Limits.MaxConnsPerIP),
	}
	s.newTracing(cfg)
	if b, ok := deps.Codec.(FormatBudget); ok && cfg.FormatBudgets {
		s.budget, s.renders = b, make(chan struct{}, cfg.BackgroundRenders)
	}
	if mc, ok := deps.Codec.(MasterCodec); ok && cfg.MasterBound > 0 {
		s.masters = mc
	}
	if deps.Events != nil && (s.masters != nil || len(cfg.Prerender) > 0) {
		s.prerenders = make(chan prerenderJob, prerenderQueue)
	}
	if cfg.HotEntries > 0 && cfg.HotTTL > 0 {
		s.hot = hotcache.New[Entry](cfg.HotEntries, cfg.HotMaxBytes, cfg.HotTTL)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.registerCacheMetrics()
	s.metrics.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "pixcdn_misses_refused_total",
		Help: "Uncached requests refused (429) because their client already waited on MaxMissesPerClient fills.",
	}, func() float64 { return float64(s.misses.Refused()) }))
	return s, nil
}

// Start launches the background work (the origin event follower, if any).
// With an event feed it first catches up: it applies the events missed
// while the node was down or cut off, for at most CatchUpTimeout, so that
// a node started before its listeners serve (as pixcdn edge does) never
// serves a variant changed meanwhile. Call it once; Close stops it.
func (s *Server) Start() {
	s.goBackground(s.settlePurges)
	if s.prerendering() {
		s.goBackground(s.prerenderLoop)
	}
	if s.deps.Events != nil {
		f := s.follower()
		after := f.CatchUp(s.ctx, s.cfg.CatchUpTimeout)
		s.goBackground(func(ctx context.Context) { f.Follow(ctx, after) })
	}
	close(s.ready)
}

// goBackground runs f in a goroutine owned by the server; Close waits for it.
func (s *Server) goBackground(f func(ctx context.Context)) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		f(s.ctx)
	}()
}

// ServePublic serves the public port on ln until Close. It blocks.
func (s *Server) ServePublic(ln net.Listener) error {
	srv := s.publicServer()
	s.connLimit.Install(srv)
	return s.serve(s.connLimit.Listener(ln), srv)
}

// ServeInternal serves the internal port on ln until Close. It blocks.
func (s *Server) ServeInternal(ln net.Listener) error {
	return s.serve(ln, s.internalServer())
}

func (s *Server) serve(ln net.Listener, srv *fasthttp.Server) error {
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return errors.New("edge: server closed")
	}
	l := s.cfg.Limits
	watch := connwatch.New(connwatch.Timeouts{Read: l.ReadTimeout, Write: l.WriteTimeout, Idle: l.IdleTimeout}, 0)
	watch.Install(srv)
	s.servers = append(s.servers, srv)
	s.watches = append(s.watches, watch)
	s.mu.Unlock()
	return srv.Serve(ln)
}

// Close stops accepting requests, waits up to ctx for in-flight requests
// and background work, and returns. It is idempotent.
func (s *Server) Close(ctx context.Context) error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.cancel()
		servers, watches := s.servers, s.watches
		s.mu.Unlock()
		for _, srv := range servers {
			// Only running out of time matters: a listener that is already
			// closed (its owner closed it) is not a failure to shut down.
			if e := srv.ShutdownWithContext(ctx); ctx.Err() != nil && err == nil {
				err = e
			}
		}
		// Only now: slow clients are still cut off while connections drain.
		for _, w := range watches {
			w.Close()
		}
		done := make(chan struct{})
		go func() { s.bg.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			err = ctx.Err()
		}
	})
	return err
}

// clock returns the current time (the test hook's, if set).
func (s *Server) clock() time.Time {
	if s.now == nil {
		return time.Now()
	}
	return s.now()
}

// clockAt returns t, the time a request started, unless a test hook is set.
func (s *Server) clockAt(t time.Time) time.Time {
	if s.now == nil {
		return t
	}
	return s.now()
}
