package edge

import (
	"bytes"
	"encoding/json"
	"html/template"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
)

// ClusterStatus is the JSON of GET /_cluster.
type ClusterStatus struct {
	Node        string     `json:"node"`
	RingVersion uint64     `json:"ring_version"`
	Members     []Peer     `json:"members"`
	Cache       CacheStats `json:"cache"`
}

func (s *Server) clusterStatus() ClusterStatus {
	st := ClusterStatus{Node: s.cfg.NodeName, Members: s.deps.Ring.Members(), Cache: s.deps.Cache.Stats()}
	if v, ok := s.deps.Ring.(RingVersioner); ok {
		st.RingVersion = v.RingVersion()
	}
	return st
}

var clusterPage = template.Must(template.New("cluster").Funcs(template.FuncMap{"pct": func(f float64) float64 { return f * 100 }}).Parse(`<!doctype html>
<meta charset="utf-8"><title>pixcdn edge {{.Node}}</title>
<style>body{font:14px system-ui;margin:2em}td,th{padding:.2em 1em;text-align:left}</style>
<h1>pixcdn edge {{.Node}}</h1><p>ring version {{.RingVersion}}</p>
<h2>Members</h2><table><tr><th>name</th><th>internal address</th><th>ring share</th></tr>
{{range .Members}}<tr><td>{{.Name}}</td><td>{{.InternalAddr}}</td><td>{{printf "%.1f%%" (pct .Share)}}</td></tr>
{{end}}</table>
<h2>Cache</h2><table><tr><th>tier</th><th>bytes</th><th>entries</th><th>evictions</th></tr>
<tr><td>memory</td><td>{{.Cache.MemoryBytes}}</td><td>{{.Cache.MemoryEntries}}</td><td>{{.Cache.MemoryEvictions}}</td></tr>
<tr><td>disk</td><td>{{.Cache.DiskBytes}}</td><td>{{.Cache.DiskEntries}}</td><td>{{.Cache.DiskEvictions}}</td></tr></table>
`))

// serveCluster answers /_cluster with JSON, or HTML for browsers
// (Accept: text/html or ?format=html).
func (s *Server) serveCluster(ctx *fasthttp.RequestCtx) {
	st := s.clusterStatus()
	if string(ctx.QueryArgs().Peek("format")) == "html" ||
		bytes.Contains(ctx.Request.Header.Peek(fasthttp.HeaderAccept), []byte("text/html")) {
		ctx.SetContentType("text/html; charset=utf-8")
		if err := clusterPage.Execute(ctx, st); err != nil {
			s.log.Warn("cluster page", "err", err)
		}
		return
	}
	ctx.SetContentType("application/json")
	_ = json.NewEncoder(ctx).Encode(st)
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
