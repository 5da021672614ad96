package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"pixcdn/cachestore"
	"pixcdn/edge"
	"pixcdn/edge/guarded"
)

// memoryOnlyDiskBytes caps the "disk" tier of a cache without --cache-dir,
// which then lives in RAM too.
const memoryOnlyDiskBytes = 256 << 20

// cacheBudgets returns the byte budgets the edge gives its cache tiers:
// --mem-cache, and --cache-size (capped at memoryOnlyDiskBytes without
// --cache-dir).
func cacheBudgets(s *edgeSettings) (memory, disk int64) {
	memory, disk = int64(s.MemCache), int64(s.CacheSize)
	if s.CacheDir == "" {
		disk = min(disk, memoryOnlyDiskBytes)
	}
	return memory, disk
}

// edgeCollectors returns what the edge exports on /metrics beyond
// edge.Server's own series (names are a contract, docs/architecture.md):
//
//   - pixcdn_cache_disk_state and friends (cacheHealth);
//   - pixcdn_cache_budget_bytes{tier}: the tier's configured byte budget;
//   - pixcdn_cache_dir_bytes: disk space the cache folder used at the
//     store's last measurement (0 without --cache-dir);
//   - pixcdn_origin_breaker_open: 1 while the origin circuit breaker
//     refuses fetches, else 0 (only when origin is a *guarded.Origin).
//
// Every value is read at scrape time.
func edgeCollectors(s *edgeSettings, cache *cachestore.Store, origin edge.Origin) []prometheus.Collector {
	memory, disk := cacheBudgets(s)
	cs := []prometheus.Collector{
		cacheHealth{cache},
		budgetGauge("memory", memory),
		budgetGauge("disk", disk),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pixcdn_cache_dir_bytes",
			Help: "Disk space used by the cache folder at the last measurement (0 for a memory-only cache).",
		}, func() float64 { return float64(cache.Stats().DirBytes) }),
	}
	if g, ok := origin.(*guarded.Origin); ok {
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pixcdn_origin_breaker_open",
			Help: "1 while the origin circuit breaker refuses fetches (fast 502s), else 0.",
		}, func() float64 {
			if g.Open() {
				return 1
			}
			return 0
		}))
	}
	return cs
}

func budgetGauge(tier string, bytes int64) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "pixcdn_cache_budget_bytes", Help: "Configured byte budget of the cache tier.",
		ConstLabels: prometheus.Labels{"tier": tier},
	}, func() float64 { return float64(bytes) })
}
