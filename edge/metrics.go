package edge

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// cacheResult is the X-Cache outcome of a request.
type cacheResult uint8

const (
	resNone cacheResult = iota
	resHit
	resMiss
	resStale
	resRevalidated
	resPeer
	resultCount
)

var resultLabels = [resultCount]string{"none", "hit", "miss", "stale", "revalidated", "peer"}
var resultHeaders = [resultCount]string{"", "HIT", "MISS", "STALE", "REVALIDATED", "PEER"}

// metrics holds the edge's Prometheus collectors; the names are a contract
// (ARCHITECTURE.md, "Metrics").
type metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	transforms   *prometheus.CounterVec
	transformDur *prometheus.HistogramVec
	originFetch  *prometheus.CounterVec
	forwards     *prometheus.CounterVec
	members      prometheus.Gauge
	purgeLag     *prometheus.HistogramVec
	staleIfError prometheus.Counter
	fallbacks    prometheus.Counter
	renders      *prometheus.CounterVec
	// transformSources counts transforms by what they were made from
	// (master, original); masters counts working masters made (made,
	// failed).
	transformSources *prometheus.CounterVec
	masters          *prometheus.CounterVec
	// prerenders counts pre-rendering jobs by kind and result.
	prerenders *prometheus.CounterVec

	// hot-path children resolved once: [result][code class index]
	hitOK    prometheus.Counter
	hitNM    prometheus.Counter
	hitDur   prometheus.Observer
	nmDur    prometheus.Observer
	kindObs  map[string]prometheus.Observer
	codeText [600]string
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixcdn_requests_total", Help: "Public requests by cache result and status code.",
	}, []string{"cache", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "pixcdn_request_duration_seconds", Help: "Public request latency by kind.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"kind"})
	m.transforms = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixcdn_transforms_total", Help: "Transforms run, by output format.",
	}, []string{"format"})
	m.transformDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "pixcdn_transform_duration_seconds", Help: "Transform time by output format.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
	}, []string{"format"})
	m.originFetch = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixcdn_origin_fetches_total", Help: "Fetches from the origin by result.",
	}, []string{"result"})
	m.forwards = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixcdn_peer_forwards_total", Help: "Requests forwarded to the ring owner, by result.",
	}, []string{"result"})
	m.members = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "pixcdn_cluster_members", Help: "Members in this node's ring.",
	})
	m.purgeLag = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "pixcdn_purge_lag_seconds", Help: "Origin commit to purge applied on this node.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"path"})
	m.staleIfError = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pixcdn_stale_if_error_total", Help: "Stale entries served because the origin failed.",
	})
	m.transformSources = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixcdn_transform_sources_total", Help: "Transforms by what they were made from: a working master or the original.",
	}, []string{"source"})
	m.masters = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixcdn_masters_total", Help: "Working masters made by this node (made), or that it failed to make (failed).",
	}, []string{"result"})
	m.fallbacks = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pixcdn_format_fallbacks_total",
		Help: "Negotiated requests answered with a cheaper format while their slow one (AVIF, JPEG XL) is made.",
	})
	m.renders = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixcdn_background_renders_total",
		Help: "Slow variants rendered in the background, by result: started, then done or failed; dropped when the lane was full.",
	}, []string{"result"})
	m.prerenders = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixcdn_prerenders_total", Help: "Background work for images the origin announced, by kind (master, preset) and result (done, dropped, failed).",
	}, []string{"kind", "result"})
	m.reg.MustRegister(m.requests, m.duration, m.transforms, m.transformDur, m.originFetch,
		m.forwards, m.members, m.purgeLag, m.staleIfError, m.fallbacks, m.renders, m.transformSources, m.masters, m.prerenders,
		// The process's own: memory, GC, goroutines, CPU, open files.
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.resolveHot()
	return m
}

// RegisterMetrics adds collectors of the edge's dependencies (the cache's
// disk health, say) to what /metrics exports. Call it before serving.
func (s *Server) RegisterMetrics(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := s.metrics.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m *metrics) resolveHot() {
	for i := range m.codeText {
		m.codeText[i] = strconv.Itoa(i)
	}
	m.hitOK = m.requests.WithLabelValues("hit", "200")
	m.hitNM = m.requests.WithLabelValues("hit", "304")
	m.kindObs = map[string]prometheus.Observer{}
	for _, k := range []string{"hit", "not_modified", "miss", "peer", "stale"} {
		m.kindObs[k] = m.duration.WithLabelValues(k)
	}
	m.hitDur, m.nmDur = m.kindObs["hit"], m.kindObs["not_modified"]
}

// observe records one finished public request.
func (m *metrics) observe(res cacheResult, code int, elapsed time.Duration) {
	secs := elapsed.Seconds()
	switch {
	case res == resHit && code == 200:
		m.hitOK.Inc()
		m.hitDur.Observe(secs)
		return
	case code == 304:
		if res == resHit {
			m.hitNM.Inc()
		} else {
			m.requests.WithLabelValues(resultLabels[res], "304").Inc()
		}
		m.nmDur.Observe(secs)
		return
	}
	if code < 0 || code >= len(m.codeText) {
		code = 599
	}
	m.requests.WithLabelValues(resultLabels[res], m.codeText[code]).Inc()
	if kind := kindOf(res); kind != "" {
		m.kindObs[kind].Observe(secs)
	}
}

func kindOf(res cacheResult) string {
	switch res {
	case resHit:
		return "hit"
	case resMiss, resRevalidated:
		return "miss"
	case resPeer:
		return "peer"
	case resStale:
		return "stale"
	}
	return ""
}
