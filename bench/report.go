package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Report is the result of the measured phase of a Run.
type Report struct {
	Workload    string   `json:"workload"`
	Client      string   `json:"client"`
	Mode        string   `json:"mode"` // "closed" or "open"
	TargetRate  float64  `json:"target_rate,omitempty"`
	Connections int      `json:"connections"`
	Targets     []string `json:"targets"`
	Method      string   `json:"method"`

	ElapsedSeconds float64 `json:"elapsed_seconds"`
	// Requests counts every request of the measured phase: Responses + Errors.
	Requests       int64   `json:"requests"`
	Responses      int64   `json:"responses"`
	Errors         int64   `json:"errors"`
	RequestsPerSec float64 `json:"requests_per_sec"`
	Bytes          int64   `json:"bytes"`
	BytesPerSec    float64 `json:"bytes_per_sec"`

	// Latency is measured from each request's intended start (open loop)
	// or actual start (closed loop) to its last response byte; errors
	// included.
	Latency Latency `json:"latency_ms"`
	// Spectrum is the latency at SpectrumQuantiles, for charts.
	Spectrum []QuantileMs `json:"latency_spectrum"`
	// MaxSendLagMs is, in an open loop, the longest a request was sent
	// after its scheduled time: large values mean the workers (Connections)
	// or the machine could not keep up with Rate.
	MaxSendLagMs float64 `json:"max_send_lag_ms,omitempty"`

	Status map[string]int64 `json:"status"`
	Cache  map[string]int64 `json:"x_cache"`
	// HitRatio is (HIT+STALE+REVALIDATED) / (HIT+STALE+REVALIDATED+MISS):
	// PEER responses do not say whether the owner hit, so they are left
	// out (see Metrics.OriginFetchesPerRequest for the cluster-wide truth).
	// Absent when no response carried one of those X-Cache values.
	HitRatio *float64 `json:"hit_ratio,omitempty"`
	// Conditional counts requests sent with If-None-Match (revisits, or a
	// trace's own header); NotModified counts 304 responses.
	Conditional int64 `json:"conditional"`
	NotModified int64 `json:"not_modified"`

	// Warnings say when figures need care (schedule slipped, 404s, errors).
	Warnings []string `json:"warnings,omitempty"`

	ErrorKinds   map[string]int64  `json:"error_kinds,omitempty"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
	Metrics      *MetricsReport    `json:"metrics,omitempty"`
	// Timeline is the measured phase interval by interval (Config.SampleInterval).
	Timeline []TimelinePoint `json:"timeline"`
}

// QuantileMs is one point of the latency distribution.
type QuantileMs struct {
	Quantile float64 `json:"q"`
	Ms       float64 `json:"ms"`
}

// SpectrumQuantiles are the points of Report.Spectrum.
var SpectrumQuantiles = []float64{0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 1}

// Latency percentiles in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func ms(ns int64) float64 { return float64(ns) / float64(time.Millisecond) }

func buildReport(cfg Config, workload string, rec *recorder, elapsed time.Duration) *Report {
	r := &Report{
		Workload: workload, Client: cfg.Client, Mode: "closed", Connections: cfg.Connections,
		Targets: cfg.Targets, Method: cfg.Method, ElapsedSeconds: elapsed.Seconds(),
		Status: map[string]int64{}, Cache: map[string]int64{},
		Bytes: rec.bytes.Load(), Conditional: rec.conditional.Load(),
		MaxSendLagMs: ms(rec.maxLag.Load()),
	}
	if cfg.Rate > 0 {
		r.Mode, r.TargetRate = "open", cfg.Rate
	}
	h := rec.hist
	r.Latency = Latency{
		P50: ms(h.Quantile(0.5)), P90: ms(h.Quantile(0.9)), P99: ms(h.Quantile(0.99)),
		P999: ms(h.Quantile(0.999)), Max: ms(h.Max()), Mean: h.Mean() / float64(time.Millisecond),
	}
	for _, q := range SpectrumQuantiles {
		r.Spectrum = append(r.Spectrum, QuantileMs{Quantile: q, Ms: ms(h.Quantile(q))})
	}
	r.Requests = int64(h.Count())
	fillCounts(r, rec)
	r.Responses = r.Requests - r.Errors
	if s := elapsed.Seconds(); s > 0 {
		r.RequestsPerSec = float64(r.Requests) / s
		r.BytesPerSec = float64(r.Bytes) / s
	}
	r.NotModified = r.Status["304"]
	hits := r.Cache[CacheHit] + r.Cache[CacheStale] + r.Cache[CacheRevalidated]
	if known := hits + r.Cache[CacheMiss]; known > 0 {
		ratio := float64(hits) / float64(known)
		r.HitRatio = &ratio
	}
	r.Warnings = warnings(r)
	return r
}

// warnings flags figures a reader should not take at face value.
func warnings(r *Report) []string {
	var w []string
	if r.Mode == "open" && r.MaxSendLagMs > max(10, 2000/r.TargetRate) {
		w = append(w, fmt.Sprintf("requests were sent up to %.1fms behind schedule (every connection busy, or the generator saturated): raise --connections or lower --rate; the waits are counted in latency", r.MaxSendLagMs))
	}
	if r.Mode == "open" && r.ElapsedSeconds > 0 && r.RequestsPerSec < 0.95*r.TargetRate {
		w = append(w, fmt.Sprintf("achieved %.0f req/s of the %.0f asked", r.RequestsPerSec, r.TargetRate))
	}
	if n := r.Status["404"]; n > 0 {
		w = append(w, fmt.Sprintf("%d responses were 404: are the images there? (pixcdn bench seed writes the synthetic workload's images)", n))
	}
	if r.Requests > 0 && r.Errors*100 >= r.Requests {
		w = append(w, fmt.Sprintf("%.1f%% of requests failed: latency and throughput figures mix in failures", 100*float64(r.Errors)/float64(r.Requests)))
	}
	return w
}

func fillCounts(r *Report, rec *recorder) {
	for code := range rec.status {
		if n := rec.status[code].Load(); n > 0 {
			r.Status[strconv.Itoa(code)] = n
		}
	}
	if n := rec.statusOther.Load(); n > 0 {
		r.Status["other"] = n
	}
	for i, k := range cacheKindsArr {
		if n := rec.cache[i].Load(); n > 0 {
			r.Cache[k] = n
		}
	}
	for i, k := range errorKindsArr {
		n := rec.errs[i].Load()
		if n == 0 {
			continue
		}
		if r.ErrorKinds == nil {
			r.ErrorKinds, r.ErrorSamples = map[string]int64{}, map[string]string{}
		}
		r.ErrorKinds[k] = n
		r.Errors += n
		if s := rec.errSample[i].Load(); s != nil {
			r.ErrorSamples[k] = truncate(*s, 200)
		}
	}
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
