package libvips

import (
	"context"
	"fmt"
	"sync"
	"time"

	"pixcdn/transform"
)

// Processor is a transform.Processor over libvips. It is safe for concurrent
// use; at most Config.Workers transforms run at once, Config.QueueDepth more
// wait, and any further call fails at once with transform.ErrOverloaded.
type Processor struct {
	cfg   Config
	admit *admission

	mu     sync.RWMutex // guards closed and inflight.Add
	closed bool
	wg     sync.WaitGroup
}

var _ transform.Processor = (*Processor)(nil)

// New validates cfg, starts libvips (once per process; later calls share it)
// and returns a Processor.
func New(cfg Config) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := startup(); err != nil {
		return nil, err
	}
	return &Processor{cfg: cfg, admit: newAdmission(cfg.Workers, cfg.QueueDepth, cfg.QueueWait)}, nil
}

// Close stops accepting work (later calls get ErrOverloaded) and waits for
// transforms in flight. It is idempotent. libvips stays initialised: it
// cannot be restarted within a process.
func (p *Processor) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}

// Process implements transform.Processor. The source is probed and checked
// against Config.Limits before it takes a worker; the whole call, queueing
// included, is bounded by Config.Deadline. A libvips operation already
// running is not interrupted: the context is checked between steps, and the
// limits bound how long one step can take.
func (p *Processor) Process(ctx context.Context, src []byte, opts transform.Options) ([]byte, transform.Meta, error) {
	return p.execute(ctx, func() (*job, error) { return p.newJob(ctx, src, opts, nil) })
}

// execute runs the job newJob makes: entry, admission, the steps. newJob
// runs after entry and before a worker is taken.
func (p *Processor) execute(ctx context.Context, newJob func() (*job, error)) ([]byte, transform.Meta, error) {
	if !p.enter() {
		return nil, transform.Meta{}, fmt.Errorf("%w: processor closed", transform.ErrOverloaded)
	}
	defer p.wg.Done()
	j, err := newJob()
	if err != nil {
		return nil, transform.Meta{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Deadline)
	defer cancel()
	j.ctx = ctx
	j.observe = transform.StepObserverOf(ctx)
	queued := time.Now()
	if err := p.admit.acquire(ctx); err != nil {
		return nil, transform.Meta{}, err
	}
	defer p.admit.release()
	if j.observe != nil {
		j.observe("admitted", time.Since(queued))
	}
	if err := runSafely(j); err != nil {
		return nil, transform.Meta{}, err
	}
	return j.out, j.meta, nil
}

func (p *Processor) enter() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	return true
}

// newJob validates the options, probes the source and plans the geometry,
// refusing work beyond Config.Limits, before any decoding. With orig set,
// src is a master of an original of that size, and the geometry is the
// original's.
func (p *Processor) newJob(ctx context.Context, src []byte, opts transform.Options, orig *transform.Size) (*job, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if !opts.Format.Writable() {
		return nil, &transform.OptionError{Param: "fm", Reason: "must be a concrete output format"}
	}
	in, err := p.probe(src)
	if err != nil {
		return nil, err
	}
	j := &job{ctx: ctx, cfg: &p.cfg, src: src, in: in, opts: opts.Normalize(), steps: pipeline}
	j.animated = in.Frames > 1 && (j.opts.Format == transform.WebP || j.opts.Format == transform.GIF)
	geometry := transform.Size{W: in.Width, H: in.Height}
	if orig != nil {
		geometry, j.fromMaster = *orig, true
		if j.animated || !p.MasterFits(geometry, transform.Size{W: in.Width, H: in.Height}, j.opts) {
			return nil, &transform.OptionError{Param: "w", Reason: "larger than the master"}
		}
	}
	j.plan = newPlan(geometry.W, geometry.H, j.opts, j.animated)
	if !j.animated {
		j.plan = j.plan.exact(geometry.W, geometry.H)
	}
	frames := int64(1)
	if j.animated {
		frames = int64(in.Frames)
	}
	peak, out := j.plan.pixels(geometry.W, geometry.H)
	if err := p.cfg.Limits.CheckWork(j.opts, in.Pixels()*frames, peak*frames, out); err != nil {
		return nil, err
	}
	return j, nil
}

// probe reads src's header and checks it against Config.Limits.
func (p *Processor) probe(src []byte) (transform.Meta, error) {
	if len(src) > p.cfg.Limits.MaxSourceBytes {
		return transform.Meta{}, fmt.Errorf("%w: more than %d bytes", transform.ErrTooLarge, p.cfg.Limits.MaxSourceBytes)
	}
	in, err := transform.Probe(src)
	if err != nil {
		return transform.Meta{}, err
	}
	if err := p.cfg.Limits.Check(in); err != nil {
		return transform.Meta{}, err
	}
	return in, nil
}

// runSafely runs the pipeline, turning a Go panic in it into ErrCorrupt so
// that one bad image cannot take the process down.
func runSafely(j *job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			j.close()
			err = corrupt("panic", fmt.Errorf("%v", r))
		}
	}()
	return j.run()
}

// Load reports how many transforms are running and how many wait for a
// worker right now, for metrics and readiness. Safe for concurrent use.
func (p *Processor) Load() (running, waiting int) { return p.admit.load() }
