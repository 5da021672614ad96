package edge

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ClusterStatus is the JSON of GET /_cluster: this node's view of the ring,
// its cache and its counters.
type ClusterStatus struct {
	Node        string     `json:"node"`
	RingVersion uint64     `json:"ring_version"`
	Members     []Peer     `json:"members"`
	Cache       CacheStats `json:"cache"`
	Stats       NodeStats  `json:"stats"`
}

func (s *Server) clusterStatus() ClusterStatus {
	st := ClusterStatus{Node: s.cfg.NodeName, Members: s.deps.Ring.Members(), Cache: s.deps.Cache.Stats(),
		Stats: s.nodeStats(time.Now())}
	if v, ok := s.deps.Ring.(RingVersioner); ok {
		st.RingVersion = v.RingVersion()
	}
	return st
}

// registerCacheMetrics exports cache size and membership, read at scrape.
func (s *Server) registerCacheMetrics() {
	stat := func(f func(CacheStats) int64) func() float64 {
		return func() float64 { return float64(f(s.deps.Cache.Stats())) }
	}
	for _, t := range []struct {
		tier                string
		bytes, n, evictions func(CacheStats) int64
	}{
		{"memory", func(c CacheStats) int64 { return c.MemoryBytes }, func(c CacheStats) int64 { return c.MemoryEntries }, func(c CacheStats) int64 { return c.MemoryEvictions }},
		{"disk", func(c CacheStats) int64 { return c.DiskBytes }, func(c CacheStats) int64 { return c.DiskEntries }, func(c CacheStats) int64 { return c.DiskEvictions }},
	} {
		labels := prometheus.Labels{"tier": t.tier}
		s.metrics.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pixcdn_cache_bytes", Help: "Cache bytes by tier.", ConstLabels: labels}, stat(t.bytes)),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pixcdn_cache_entries", Help: "Cache entries by tier.", ConstLabels: labels}, stat(t.n)),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pixcdn_cache_evictions_total", Help: "Cache evictions by tier.", ConstLabels: labels}, stat(t.evictions)),
		)
	}
	s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "pixcdn_cache_purge_scopes", Help: "Purge records the cache keeps (one per image, tag or prefix purged, until no entry can need it).",
	}, stat(func(c CacheStats) int64 { return c.PurgeScopes })))
	s.metrics.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "pixcdn_connections_refused_total", Help: "Public connections refused (429) because their client address had MaxConnsPerIP open.",
	}, func() float64 { return float64(s.connLimit.Refused()) }))
}

// refreshGauges updates gauges that are cheap to read at scrape time.
func (s *Server) refreshGauges() {
	s.metrics.members.Set(float64(len(s.deps.Ring.Members())))
}
