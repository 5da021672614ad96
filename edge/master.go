package edge

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"pixcdn/edge/imgurl"
	"pixcdn/transform"
)

// Working masters (Config.MasterBound, MasterCodec): the ring owner of an
// original larger than the bound makes, once, a pre-shrunk copy of it (the
// master) the first time a variant that fits within it is made, and keeps
// it in its cache beside the original under the original's ImageRef and a
// guard taken before the fill, so a purge, a delete or a new version drops
// it with the original. A master whose OriginETag is not the original's is
// stale and is made anew. Variants that fit within the master are made from
// it, on the owner or, over the peer API, on the variant's owner; larger
// ones from the original. An original within the bound is its own master.

// source is what a variant is made from: an original or its master.
type source struct {
	// Entry is the original's (validators, policy, ImageRef); Body is the
	// master's bytes when master is set.
	Entry
	// orig and master are the sizes of the original and of the master;
	// master is zero when Body is the original.
	orig, master transform.Size
	// own: Entry is this node's own copy of the original (from its cache
	// or fetched by it from the origin), not one a peer sent.
	own bool
}

func (s *source) fromMaster() bool { return s.master.W > 0 }

// sourceLabel names s for pixcdn_transform_sources_total.
func (s *source) label() string {
	if s.fromMaster() {
		return "master"
	}
	return "original"
}

// masterVariant is r's variant when it may be made from a master: nil
// with masters off, for the original itself and for an info request
// (which describes the original).
func (s *Server) masterVariant(r *request) *Variant {
	if s.masters == nil || r.variant.Original || r.info {
		return nil
	}
	return &r.variant
}

// masterFor returns what to make v from out of orig, an original this
// node holds as its ring owner: its master when v fits within it (making
// and caching the master under guard first if needed), else orig. It reads
// the master's cache entry, never the original's again; any failure to
// make a master falls back to orig.
func (s *Server) masterFor(ctx context.Context, orig Entry, v *Variant, guard Guard) source {
	src := source{Entry: orig, own: true}
	if s.masters == nil || v == nil || v.Original {
		return src
	}
	key := imgurl.MasterKey(orig.Image.Tenant, orig.Image.PublicID)
	if m, ok := s.cacheGet(ctx, key, keyMaster); ok && m.OriginETag == orig.ETag {
		if origSize, masterSize, ok := parseMasterTag(m.ETag); ok {
			return s.pick(src, m.Body, origSize, masterSize, v)
		}
	}
	probe, err := src.probed()
	meta := probe.Meta()
	if err != nil || meta.Frames > 1 || max(meta.Width, meta.Height) <= s.cfg.MasterBound {
		return src // its own master
	}
	origSize := transform.Size{W: meta.Width, H: meta.Height}
	if !s.masters.MasterFits(*v, origSize, scaledTo(origSize, s.cfg.MasterBound)) {
		return src // not made for a variant that would not use it
	}
	m, err := s.master(ctx, key, src.Entry, origSize, guard)
	if err != nil {
		s.log.Debug("no master, making the variant from the original", "tenant", orig.Image.Tenant, "id", orig.Image.PublicID, "err", err)
		return src
	}
	_, masterSize, _ := parseMasterTag(m.ETag)
	return s.pick(src, m.Body, origSize, masterSize, v)
}

// pick returns src with the master's bytes when v fits within it.
func (s *Server) pick(src source, master []byte, origSize, masterSize transform.Size, v *Variant) source {
	src.orig = origSize
	if s.masters.MasterFits(*v, origSize, masterSize) {
		src.Body, src.probe, src.master = master, nil, masterSize
	}
	return src
}

// master makes orig's master once per key on this node and caches it.
// orig is probed already (masterFor).
func (s *Server) master(ctx context.Context, key []byte, orig Entry, origSize transform.Size, guard Guard) (Entry, error) {
	ch := s.flights.DoChan("m"+string(key), func() (any, error) {
		// Re-check inside the flight: a master just made by another
		// flight would otherwise be made twice.
		if m, ok := s.deps.Cache.Get(key); ok && m.OriginETag == orig.ETag {
			return m, nil
		}
		mctx, cancel := context.WithTimeout(s.detachedContext(ctx, s.ctx), s.cfg.FillTimeout)
		defer cancel()
		if transform.IsBackground(ctx) { // pre-rendering: only on an idle processor
			mctx = transform.WithBackground(mctx)
		}
		probe, err := orig.probed()
		if err != nil {
			return nil, err
		}
		out, size, err := s.masters.MakeMaster(mctx, probe, s.cfg.MasterBound)
		if err != nil {
			if !errors.Is(err, transform.ErrNoMaster) {
				s.metrics.masters.WithLabelValues("failed").Inc()
			}
			return nil, err
		}
		s.metrics.masters.WithLabelValues("made").Inc()
		m := Entry{
			Body: out.Body, ContentType: out.ContentType, ETag: masterTag(origSize, size),
			LastModified: orig.LastModified, Image: orig.Image, Policy: orig.Policy, OriginETag: orig.ETag,
		}
		m.inheritTimes(&orig)
		s.deps.Cache.Set(key, m, guard)
		return m, nil
	})
	return awaitEntry(ctx, ch, ErrOverloaded)
}

// scaledTo is the size of orig scaled so its long side is bound (libvips
// may round the short side the other way: MasterFits is asked again with
// the master's real size).
func scaledTo(orig transform.Size, bound int) transform.Size {
	f := float64(bound) / float64(orig.Long())
	return transform.Size{W: max(int(float64(orig.W)*f), 1), H: max(int(float64(orig.H)*f), 1)}
}

// A master's cache entry carries, in its ETag field (masters are never
// served to clients), the sizes of the original and of the master, so
// that reading it tells all a variant needs: "m4000x3000/2048x1536".
func masterTag(orig, master transform.Size) string {
	return fmt.Sprintf("m%dx%d/%dx%d", orig.W, orig.H, master.W, master.H)
}

func parseMasterTag(tag string) (orig, master transform.Size, ok bool) {
	o, m, found := strings.Cut(strings.TrimPrefix(tag, "m"), "/")
	orig, ok1 := parseSize(o)
	master, ok2 := parseSize(m)
	return orig, master, found && ok1 && ok2
}

// parseSize reads "WxH" with both sides positive.
func parseSize(s string) (transform.Size, bool) {
	w, h, ok := strings.Cut(s, "x")
	W, err1 := strconv.Atoi(w)
	H, err2 := strconv.Atoi(h)
	if !ok || err1 != nil || err2 != nil || W < 1 || H < 1 {
		return transform.Size{}, false
	}
	return transform.Size{W: W, H: H}, true
}

// formatSize writes s as parseSize reads it.
func formatSize(s transform.Size) string { return strconv.Itoa(s.W) + "x" + strconv.Itoa(s.H) }
