package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Run drives wl against cfg.Targets: an optional warmup phase, then the
// measured phase, bounded by cfg.Duration and/or cfg.Requests. It blocks
// until both phases end and every worker has stopped, and returns the
// measured phase's report. If ctx is cancelled it stops early and returns
// the partial report with ctx's error.
//
// Targets and metrics URLs outside loopback and private address space are
// refused (ErrRemoteTarget) unless cfg.AllowRemote is set.
func Run(ctx context.Context, cfg Config, wl Workload) (*Report, error) {
	targets, err := prepare(ctx, cfg)
	if err != nil {
		return nil, err
	}
	cl, err := newClient(cfg, targets)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	e := &engine{cfg: cfg, client: cl, targets: len(targets), etags: newETagStore()}
	e.workers = make([]*workerState, cfg.Connections)
	for i := range e.workers {
		e.workers[i] = &workerState{src: wl.NewSource(i), w: cl.newWorker(), next: i}
	}
	if cfg.Warmup > 0 {
		e.runPhase(ctx, &phase{end: time.Now().Add(cfg.Warmup)})
	}
	var before []scrape
	if len(cfg.MetricsURLs) > 0 {
		before = scrapeAll(ctx, cfg.MetricsURLs)
	}
	measured := &phase{rec: newRecorder(timelineInterval(cfg)), limit: cfg.Requests}
	if cfg.Duration > 0 {
		measured.end = time.Now().Add(cfg.Duration)
	}
	elapsed := e.runPhase(ctx, measured)
	rep := buildReport(cfg, wl.Name(), measured.rec, elapsed)
	rep.Timeline = measured.rec.timeline.points(elapsed)
	if len(cfg.MetricsURLs) > 0 {
		rep.Metrics = metricsReport(cfg.MetricsURLs, before, scrapeAll(ctx, cfg.MetricsURLs), rep.Requests)
	}
	return rep, ctx.Err()
}

// prepare validates cfg and checks that every address it will load is ours.
func prepare(ctx context.Context, cfg Config) ([]Target, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	targets := make([]Target, len(cfg.Targets))
	hosts := make([]string, 0, len(cfg.Targets)+len(cfg.MetricsURLs))
	for i, raw := range cfg.Targets {
		targets[i], _ = ParseTarget(raw) // validated above
		hosts = append(hosts, targets[i].Host)
	}
	for _, raw := range cfg.MetricsURLs {
		host, err := metricsHost(raw)
		if err != nil {
			return nil, err
		}
		hosts = append(hosts, host)
	}
	if cfg.AllowRemote {
		return targets, nil
	}
	for _, h := range hosts {
		if err := CheckLocal(ctx, h); err != nil {
			return nil, err
		}
	}
	return targets, nil
}

// engine holds what lasts across phases: connections, sources, ETags.
type engine struct {
	cfg     Config
	client  client
	targets int
	etags   *etagStore
	workers []*workerState
}

// workerState is one worker's own source, connection and request buffer.
type workerState struct {
	src   Source
	w     worker
	req   Request
	next  int // round-robin target counter
	timer *time.Timer
}

// phase is one bounded stretch of load; rec is nil for an unmeasured warmup.
type phase struct {
	start time.Time
	end   time.Time // zero: no time bound
	limit int64     // 0: no count bound
	rec   *recorder
	seq   atomic.Int64
}

// runPhase runs every worker until p's bounds or ctx end it and returns
// the wall time from its start until the last response.
func (e *engine) runPhase(ctx context.Context, p *phase) time.Duration {
	p.start = time.Now()
	if p.rec != nil {
		p.rec.timeline.start = p.start
		if e.cfg.Progress != nil {
			stop := e.reportProgress(p)
			defer stop()
		}
	}
	var wg sync.WaitGroup
	for _, ws := range e.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e.step(ctx, p, ws) {
			}
		}()
	}
	wg.Wait()
	return time.Since(p.start)
}

// step sends one request; it reports false once the phase is over.
func (e *engine) step(ctx context.Context, p *phase, ws *workerState) bool {
	if ctx.Err() != nil {
		return false
	}
	intended, ok := e.slot(ctx, p, ws)
	if !ok {
		return false
	}
	ws.src.Next(&ws.req)
	c := call{target: ws.next % e.targets, req: &ws.req, method: e.cfg.Method, wantETag: true}
	ws.next++
	if ws.req.Revisit {
		c.ifNoneMatch = e.etags.get(ws.req.Path, ws.req.Accept())
	}
	sent := time.Now()
	o := ws.w.do(ctx, c)
	done := time.Now()
	if o.err == nil && o.status == 200 && o.etag != "" {
		e.etags.put(ws.req.Path, ws.req.Accept(), o.etag)
	}
	if o.err != nil && ctx.Err() != nil {
		return false // cut short by the caller's cancellation: not the server's failure
	}
	if p.rec != nil {
		conditional := c.ifNoneMatch != "" || ws.req.Get("If-None-Match") != "" // engine's or the trace's own
		p.rec.record(o, done.Sub(intended), sent.Sub(intended), conditional, done)
	}
	return true
}

// slot claims the next request of the phase and returns when it is meant
// to start: now in a closed loop; in an open loop its place in the fixed
// arrival schedule, after sleeping until then. Latency is measured from
// that intended start, so a stalled server is charged for the requests it
// delayed (no coordinated omission).
func (e *engine) slot(ctx context.Context, p *phase, ws *workerState) (time.Time, bool) {
	if e.cfg.Rate == 0 {
		now := time.Now()
		if !p.end.IsZero() && !now.Before(p.end) {
			return now, false
		}
		return now, p.limit == 0 || p.seq.Add(1) <= p.limit
	}
	i := p.seq.Add(1) - 1
	if p.limit > 0 && i >= p.limit {
		return time.Time{}, false
	}
	intended := p.start.Add(time.Duration(float64(i) * float64(time.Second) / e.cfg.Rate))
	if !p.end.IsZero() && !intended.Before(p.end) {
		return intended, false
	}
	return intended, sleepUntil(ctx, ws, intended)
}

// sleepUntil waits for t on the worker's timer; false if ctx ended first.
func sleepUntil(ctx context.Context, ws *workerState, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	if ws.timer == nil {
		ws.timer = time.NewTimer(d)
	} else {
		ws.timer.Reset(d)
	}
	select {
	case <-ws.timer.C:
		return true
	case <-ctx.Done():
		ws.timer.Stop()
		return false
	}
}

// reportProgress calls cfg.Progress after each timeline interval of the
// measured phase p until the returned stop is called; stop waits for the
// last call to return.
func (e *engine) reportProgress(p *phase) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(p.rec.timeline.interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				e.cfg.Progress(p.rec.progress(time.Since(p.start)))
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
