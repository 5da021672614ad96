package edge

import (
	"context"
	"errors"
	"strings"
	"time"

	"pixcdn/edge/imgurl"
	"pixcdn/transform"
)

// Pre-rendering: when the origin's event feed announces a new or replaced
// image (kind "updated", live, not while catching up), the ring owner of its original fetches it and
// makes its working master, and the ring owner of each Config.Prerender
// preset's variant makes that variant (from the master, which it asks the
// original's owner for), before any browser asks. It is background work:
// started once the event's purge has settled (purgeSettle: its second
// application would drop what was made before), one job at a time on one
// goroutine, from a queue of prerenderQueue jobs
// (more are dropped), each transform run only while the processor is
// otherwise idle (transform.WithBackground: a busy processor drops it at
// once). pixcdn_prerenders_total counts jobs by kind (master, preset) and
// result (done, dropped, failed); a job with nothing to do (the original
// is its own master, the variant is cached) counts as done.

// prerenderQueue bounds the jobs waiting for the background worker.
const prerenderQueue = 64

// prerenderMaxAge is how old an announcement may be and still be
// prepared: events the node catches up on after a restart or a partition
// are old news, and preparing every image they name would fetch a backlog
// of originals nobody may ask for. Events applied while catching up at
// start are never prepared.
const prerenderMaxAge = time.Minute

// prerenderAccept is the Accept header negotiated presets are rendered
// for: Chromium's (Chrome, Edge, Opera), so their requests find them.
const prerenderAccept = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"

// prerenderJob is one piece of background work: the master of an
// original (r nil), or the variant r.
type prerenderJob struct {
	tenant, publicID string
	r                *request
	// notBefore is when the event's purge has settled (purgeSettle): its
	// second application would drop what was made before.
	notBefore time.Time
}

func (j prerenderJob) kind() string {
	if j.r == nil {
		return "master"
	}
	return "preset"
}

// prerendering reports whether announced images are prepared at all.
func (s *Server) prerendering() bool { return s.prerenders != nil }

// announceEvents prepares the images the live feed announced as new or
// replaced (kind "updated"), when recent (prerenderMaxAge; an event
// without a time counts as recent).
func (s *Server) announceEvents(events []Event) {
	if !s.prerendering() {
		return
	}
	now := s.clock()
	for i := range events {
		ev := &events[i]
		if ev.Kind == "updated" && (ev.At.IsZero() || now.Sub(ev.At) <= prerenderMaxAge) {
			s.announce(ev.Tenant, ev.PublicID, time.Now().Add(s.settleAfter+s.settleAfter/4))
		}
	}
}

// announce queues the work this node owns for an image the origin
// announced as new or replaced, to start at notBefore. It never blocks.
func (s *Server) announce(tenant, publicID string, notBefore time.Time) {
	if s.masters != nil {
		if _, self := s.deps.Ring.Owner(imgurl.OriginalKey(tenant, publicID)); self {
			s.queuePrerender(prerenderJob{tenant: tenant, publicID: publicID, notBefore: notBefore})
		}
	}
	for _, name := range s.cfg.Prerender {
		r, err := s.presetRequest(tenant, publicID, name)
		if err != nil {
			s.log.Warn("cannot pre-render preset", "preset", name, "err", err)
			continue
		}
		if _, self := s.deps.Ring.Owner(r.key); self {
			s.queuePrerender(prerenderJob{tenant: tenant, publicID: publicID, r: r, notBefore: notBefore})
		}
	}
}

func (s *Server) queuePrerender(j prerenderJob) {
	select {
	case s.prerenders <- j:
	default:
		s.metrics.prerenders.WithLabelValues(j.kind(), "dropped").Inc()
	}
}

// presetRequest is the request of preset name of an image as a browser
// sending prerenderAccept makes it (signed: pre-rendering is no client).
func (s *Server) presetRequest(tenant, publicID, name string) (*request, error) {
	v, err := s.deps.Codec.Parse(s.cfg.URL.Presets[name])
	if err != nil {
		return nil, err
	}
	r := &request{tenant: tenant, publicID: publicID, signed: true, variant: v, format: v.Format}
	r.origKey = imgurl.OriginalKey(tenant, publicID)
	if r.format == "auto" {
		r.format, r.vary = s.deps.Codec.Negotiate(prerenderAccept), true
	}
	r.key = imgurl.VariantKey(tenant, publicID, v.Canonical, r.format)
	return r, nil
}

// prerenderLoop runs queued jobs one at a time until ctx ends.
func (s *Server) prerenderLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-s.prerenders:
			select { // jobs come in order: the head is due first
			case <-ctx.Done():
				return
			case <-time.After(time.Until(j.notBefore)):
			}
			s.metrics.prerenders.WithLabelValues(j.kind(), s.prerender(ctx, j)).Inc()
		}
	}
}

// prerender runs j as background work and returns its result label.
func (s *Server) prerender(parent context.Context, j prerenderJob) string {
	ctx, cancel := context.WithTimeout(transform.WithBackground(parent), s.cfg.FillTimeout)
	defer cancel()
	var err error
	if j.r == nil {
		err = s.prepareMaster(ctx, j.tenant, j.publicID)
	} else {
		_, err = s.fillVariant(ctx, &fillCall{}, j.r, nil, nil)
	}
	switch {
	case err == nil:
		return "done"
	case errors.Is(err, ErrOverloaded), errors.Is(err, transform.ErrOverloaded):
		return "dropped"
	}
	s.log.Debug("pre-render failed", "kind", j.kind(), "tenant", j.tenant, "id", j.publicID, "err", err)
	return "failed"
}

// prepareMaster fetches an original this node owns and makes its master
// unless it is its own master or has one already.
func (s *Server) prepareMaster(ctx context.Context, tenant, publicID string) error {
	guard := s.deps.Cache.Guard(ImageRef{Tenant: tenant, PublicID: publicID})
	orig, err := s.ownOriginal(ctx, tenant, publicID, false, nil)
	if err != nil {
		return err
	}
	meta, err := transform.Probe(orig.Body)
	if err != nil || meta.Frames > 1 || meta.Width <= s.cfg.MasterBound && meta.Height <= s.cfg.MasterBound {
		return nil // its own master
	}
	key := imgurl.MasterKey(tenant, publicID)
	if m, ok := s.deps.Cache.Get(key); ok && m.OriginETag == orig.ETag {
		return nil
	}
	_, err = s.master(ctx, key, orig, transform.Size{W: meta.Width, H: meta.Height}, guard)
	return err
}

// validPrerender checks Config.Prerender against the presets.
func validPrerender(names []string, presets map[string]string) error {
	var unknown []string
	for _, n := range names {
		if _, ok := presets[n]; !ok {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return errors.New("edge: Prerender names unknown presets: " + strings.Join(unknown, ", "))
	}
	return nil
}
