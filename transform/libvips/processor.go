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
	return p.execute(ctx, func() (*job, error) {
		s, o, err := p.admitInputs(src, opts)
		if err != nil {
			return nil, err
		}
		return p.newJob(ctx, s, o, nil)
	})
}

// ProcessSource implements transform.SourceProcessor: Process without
// probing or validating again.
func (p *Processor) ProcessSource(ctx context.Context, src transform.Source, opts transform.Checked) ([]byte, transform.Meta, error) {
	return p.execute(ctx, func() (*job, error) { return p.newJob(ctx, src, opts, nil) })
}

// admitInputs probes src and checks opts: what Process is given
// unchecked.
func (p *Processor) admitInputs(src []byte, opts transform.Options) (transform.Source, transform.Checked, error) {
	o, err := opts.Check()
	if err != nil {
		return transform.Source{}, transform.Checked{}, err
	}
	if err := concreteFormat(o); err != nil {
		return transform.Source{}, transform.Checked{}, err
	}
	s, err := p.source(src)
	return s, o, err
}

// source probes src and checks it against Config.Limits.
func (p *Processor) source(src []byte) (transform.Source, error) {
	if len(src) > p.cfg.Limits.MaxSourceBytes {
		return transform.Source{}, tooLarge(p.cfg.Limits.MaxSourceBytes)
	}
	s, err := transform.NewSource(src)
	if err != nil {
		return transform.Source{}, err
	}
	_, err = p.admitSource(s)
	return s, err
}

// probe is source's Meta.
func (p *Processor) probe(src []byte) (transform.Meta, error) {
	s, err := p.source(src)
	return s.Meta(), err
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

// newJob checks the source against Config.Limits and plans the geometry,
// refusing work beyond the limits, before any decoding. With orig set,
// src is a master of an original of that size, and the geometry is the
// original's.
func (p *Processor) newJob(ctx context.Context, src transform.Source, opts transform.Checked, orig *transform.Size) (*job, error) {
	if err := concreteFormat(opts); err != nil {
		return nil, err
	}
	in, err := p.admitSource(src)
	if err != nil {
		return nil, err
	}
	j := &job{ctx: ctx, cfg: &p.cfg, src: src.Bytes(), in: in, opts: opts.Options(), steps: pipeline}
	j.animated = in.Frames > 1 && (j.opts.Format == transform.WebP || j.opts.Format == transform.GIF)
	geometry := transform.Size{W: in.Width, H: in.Height}
	if orig != nil {
		geometry, j.fromMaster = *orig, true
		if j.animated || !p.MasterFits(geometry, transform.Size{W: in.Width, H: in.Height}, opts) {
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

// concreteFormat refuses options without an output format to write.
func concreteFormat(opts transform.Checked) error {
	if !opts.Options().Format.Writable() {
		return &transform.OptionError{Param: "fm", Reason: "must be a concrete output format"}
	}
	return nil
}

// admitSource checks a probed source against Config.Limits.
func (p *Processor) admitSource(src transform.Source) (transform.Meta, error) {
	if src.IsZero() {
		return transform.Meta{}, fmt.Errorf("%w: no source", transform.ErrCorrupt)
	}
	if len(src.Bytes()) > p.cfg.Limits.MaxSourceBytes {
		return transform.Meta{}, tooLarge(p.cfg.Limits.MaxSourceBytes)
	}
	in := src.Meta()
	if err := p.cfg.Limits.Check(in); err != nil {
		return transform.Meta{}, err
	}
	return in, nil
}

func tooLarge(limit int) error {
	return fmt.Errorf("%w: more than %d bytes", transform.ErrTooLarge, limit)
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
