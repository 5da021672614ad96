package main

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"pixcdn/cachestore"
	"pixcdn/edge"
	"pixcdn/edge/eventfeed"
)

// cacheAdapter adapts cachestore.Store to edge.Cache. What cachestore.Entry
// does not model (the edge's caching policy, origin ETag and visibility)
// travels as its opaque Meta, encoded by the edge (edge.EncodeMeta).
type cacheAdapter struct {
	s   *cachestore.Store
	log *slog.Logger
}

var _ edge.TieredCache = cacheAdapter{}

func (c cacheAdapter) Get(key []byte) (edge.Entry, bool) {
	e, _, ok := c.GetTier(key)
	return e, ok
}

// GetTier implements edge.TieredCache: Get, and the tier that held key.
func (c cacheAdapter) GetTier(key []byte) (edge.Entry, string, bool) {
	ce, tier, ok := c.s.GetTier(key)
	if !ok {
		return edge.Entry{}, "", false
	}
	e := edge.Entry{
		ContentType: ce.ContentType, ETag: ce.ETag, LastModified: ce.LastModified,
		Created: ce.Created, FreshUntil: ce.FreshUntil, StaleUntil: ce.StaleUntil,
		Image: edge.ImageRef{Tenant: ce.Image.Tenant, PublicID: ce.Image.PublicID, Version: ce.Image.Version, Tags: ce.Image.Tags},
	}
	if !edge.DecodeMeta(ce.Meta, ce.Body, &e) {
		c.log.Warn("cache entry without edge header; dropping it")
		c.s.Delete(key)
		return edge.Entry{}, "", false
	}
	return e, string(tier), true
}

func (c cacheAdapter) Guard(edge.ImageRef) edge.Guard { return c.s.Snapshot() }

func (c cacheAdapter) Set(key []byte, e edge.Entry, g edge.Guard) {
	ce := cachestore.Entry{
		Body: e.Body, Meta: edge.EncodeMeta(&e), ContentType: e.ContentType, ETag: e.ETag, LastModified: e.LastModified,
		Created: e.Created, FreshUntil: e.FreshUntil, StaleUntil: e.StaleUntil,
		Image: cachestore.ImageRef{Tenant: e.Image.Tenant, PublicID: e.Image.PublicID, Version: e.Image.Version, Tags: e.Image.Tags},
	}
	gen, _ := g.(cachestore.Generation)
	err := c.s.Set(key, ce, gen)
	if err != nil && !errors.Is(err, cachestore.ErrPurged) && !errors.Is(err, cachestore.ErrExpired) {
		c.log.Warn("cache set failed", "err", err)
	}
}

func (c cacheAdapter) Delete(key []byte) { c.s.Delete(key) }

func (c cacheAdapter) Purge(p edge.Purge) {
	cp := cachestore.Purge{Tenant: p.Tenant, PublicIDs: p.PublicIDs, Tags: p.Tags, Prefix: p.Prefix, All: p.All}
	if cp.All {
		cp.PublicIDs, cp.Tags, cp.Prefix = nil, nil, ""
	}
	if err := c.s.Purge(cp); err != nil {
		c.log.Warn("purge failed", "err", err)
	}
}

func (c cacheAdapter) Stats() edge.CacheStats {
	st := c.s.Stats()
	return edge.CacheStats{
		MemoryBytes: st.Memory.Bytes, DiskBytes: st.Disk.Bytes,
		MemoryEntries: int64(st.Memory.Entries), DiskEntries: int64(st.Disk.Entries),
		MemoryEvictions: int64(st.Memory.Evictions), DiskEvictions: int64(st.Disk.Evictions),
		PurgeScopes: int64(st.PurgeScopes),
	}
}

// cacheHealth exports the disk tier's health (cachestore.Store.Health):
// pixcdn_cache_disk_state is 1 while the disk tier is healthy (reason
// "ok") and 0 while it is degraded (reason: the fault);
// pixcdn_cache_disk_faults_total counts faults by reason, and
// pixcdn_cache_disk_reopens_total the times the disk tier was reopened
// empty after its directory was lost.
type cacheHealth struct{ s *cachestore.Store }

var (
	diskStateDesc = prometheus.NewDesc("pixcdn_cache_disk_state",
		"1 while the disk cache is healthy, 0 while it is degraded (memory only, or not written); reason says why.", []string{"reason"}, nil)
	diskFaultsDesc = prometheus.NewDesc("pixcdn_cache_disk_faults_total",
		"Disk cache faults detected, by reason.", []string{"reason"}, nil)
	diskReopensDesc = prometheus.NewDesc("pixcdn_cache_disk_reopens_total",
		"Times the disk cache was reopened empty after its directory was lost.", nil, nil)
)

func (c cacheHealth) Describe(ch chan<- *prometheus.Desc) {
	ch <- diskStateDesc
	ch <- diskFaultsDesc
	ch <- diskReopensDesc
}

func (c cacheHealth) Collect(ch chan<- prometheus.Metric) {
	h := c.s.Health()
	state, reason := 1.0, "ok"
	if !h.OK() {
		state, reason = 0, string(h.Fault)
	}
	ch <- prometheus.MustNewConstMetric(diskStateDesc, prometheus.GaugeValue, state, reason)
	for _, f := range cachestore.Faults {
		ch <- prometheus.MustNewConstMetric(diskFaultsDesc, prometheus.CounterValue, float64(h.Faults[f]), string(f))
	}
	ch <- prometheus.MustNewConstMetric(diskReopensDesc, prometheus.CounterValue, float64(h.Reopens))
}

// feedPosition is the edge's SeqStore: an eventfeed.FileSeq that remembers the
// last position loaded or saved, so that it can write it again (restore)
// after the directory holding the file was removed and recreated.
type feedPosition struct {
	file  eventfeed.FileSeq
	mu    sync.Mutex
	seq   int64
	known bool
}

func (f *feedPosition) Load() (int64, error) {
	seq, err := f.file.Load()
	if err == nil {
		f.remember(seq)
	}
	return seq, err
}

func (f *feedPosition) Save(seq int64) error {
	f.remember(seq)
	return f.file.Save(seq)
}

func (f *feedPosition) remember(seq int64) {
	f.mu.Lock()
	f.seq, f.known = seq, true
	f.mu.Unlock()
}

// restore writes the remembered position again if its file is missing.
func (f *feedPosition) restore() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.known {
		return nil
	}
	if _, err := os.Stat(f.file.Path); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return f.file.Save(f.seq)
}
