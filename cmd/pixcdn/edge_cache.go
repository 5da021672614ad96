package main

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"

	"pixcdn/cachestore"
	"pixcdn/edge"
)

// cacheAdapter adapts cachestore.Store to edge.Cache. cachestore.Entry has
// no room for the edge's caching policy, origin ETag and visibility, so they
// travel in a small header in front of the body (entryMeta); Get slices it
// off without copying.
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
	if !decodeEntryMeta(ce.Body, &e) {
		c.log.Warn("cache entry without edge header; dropping it")
		c.s.Delete(key)
		return edge.Entry{}, "", false
	}
	return e, string(tier), true
}

func (c cacheAdapter) Guard(edge.ImageRef) edge.Guard { return c.s.Snapshot() }

func (c cacheAdapter) Set(key []byte, e edge.Entry, g edge.Guard) {
	ce := cachestore.Entry{
		Body: encodeEntryMeta(&e), ContentType: e.ContentType, ETag: e.ETag, LastModified: e.LastModified,
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

// Entry header: magic, flags, then uvarints max-age, swr, sie (seconds) and
// the origin ETag's length, then the ETag, then the body.
const (
	metaMagic       = 0xE1
	flagPrivate     = 1 << 0
	flagSigned      = 1 << 1
	maxEntryMetaLen = 2 + 4*binary.MaxVarintLen64
	// maxPolicySeconds bounds a decoded duration so it cannot overflow.
	maxPolicySeconds = 1 << 31
)

func encodeEntryMeta(e *edge.Entry) []byte {
	b := make([]byte, 0, maxEntryMetaLen+len(e.OriginETag)+len(e.Body))
	var flags byte
	if e.Policy.Private {
		flags |= flagPrivate
	}
	if e.Image.Signed {
		flags |= flagSigned
	}
	b = append(b, metaMagic, flags)
	b = binary.AppendUvarint(b, uint64(e.Policy.MaxAge/time.Second))
	b = binary.AppendUvarint(b, uint64(e.Policy.SWR/time.Second))
	b = binary.AppendUvarint(b, uint64(e.Policy.SIE/time.Second))
	b = binary.AppendUvarint(b, uint64(len(e.OriginETag)))
	b = append(b, e.OriginETag...)
	return append(b, e.Body...)
}

// decodeEntryMeta fills e's policy, origin ETag, visibility and body from
// b. The body and ETag alias b, which the cache never modifies.
func decodeEntryMeta(b []byte, e *edge.Entry) bool {
	if len(b) < 2 || b[0] != metaMagic {
		return false
	}
	flags := b[1]
	b = b[2:]
	var v [4]uint64
	for i := range v {
		n, k := binary.Uvarint(b)
		if k <= 0 {
			return false
		}
		v[i], b = n, b[k:]
	}
	if v[3] > uint64(len(b)) || v[0] > maxPolicySeconds || v[1] > maxPolicySeconds || v[2] > maxPolicySeconds {
		return false
	}
	e.Policy = edge.Policy{
		MaxAge: time.Duration(v[0]) * time.Second, SWR: time.Duration(v[1]) * time.Second,
		SIE: time.Duration(v[2]) * time.Second, Private: flags&flagPrivate != 0,
	}
	e.Image.Signed = flags&flagSigned != 0
	if v[3] > 0 {
		e.OriginETag = unsafe.String(&b[0], int(v[3]))
	}
	e.Body = b[v[3]:]
	return true
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

// feedPosition is the edge's SeqStore: an edge.FileSeq that remembers the
// last position loaded or saved, so that it can write it again (restore)
// after the directory holding the file was removed and recreated.
type feedPosition struct {
	file  edge.FileSeq
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
