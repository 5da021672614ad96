package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Edge metric names the report reads (ARCHITECTURE.md).
const (
	MetricRequests      = "pixcdn_requests_total"
	MetricOriginFetches = "pixcdn_origin_fetches_total"
	MetricTransforms    = "pixcdn_transforms_total"
)

// ErrBadMetrics reports a malformed Prometheus text exposition.
var ErrBadMetrics = errors.New("bench: bad metrics exposition")

const (
	maxMetricsBytes = 16 << 20
	scrapeTimeout   = 5 * time.Second
)

// SumMetrics parses a Prometheus text exposition (with the Prometheus text
// parser, expfmt) and returns, for each wanted counter, gauge or untyped
// metric, the sum of its samples over all label sets under the key NAME,
// and the sum per value of each of its labels under the key
// NAME{LABEL="VALUE"} (the value unescaped). Names with no samples are
// absent; other metrics are skipped. A malformed exposition gives
// ErrBadMetrics naming the line; it never panics.
func SumMetrics(r io.Reader, wanted ...string) (sums map[string]float64, err error) {
	defer func() {
		if p := recover(); p != nil {
			sums, err = nil, fmt.Errorf("%w: %v", ErrBadMetrics, p)
		}
	}()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMetrics, err)
	}
	sums = make(map[string]float64, len(wanted))
	for _, name := range wanted {
		f, ok := families[name]
		if !ok {
			continue
		}
		for _, m := range f.GetMetric() {
			v, ok := sampleValue(m)
			if !ok {
				continue
			}
			sums[name] += v
			for _, l := range m.GetLabel() {
				sums[name+"{"+l.GetName()+"=\""+l.GetValue()+"\"}"] += v
			}
		}
	}
	return sums, nil
}

// sampleValue is the value of a counter, gauge or untyped sample.
func sampleValue(m *dto.Metric) (float64, bool) {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue(), true
	case m.Gauge != nil:
		return m.Gauge.GetValue(), true
	case m.Untyped != nil:
		return m.Untyped.GetValue(), true
	}
	return 0, false
}

// metricsHost validates a metrics URL and returns its host:port.
func metricsHost(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("%w: metrics URL %q: want http(s)://HOST:PORT/metrics", ErrBadConfig, raw)
	}
	return u.Host, nil
}

// scrape is one endpoint's sums, or why they are missing.
type scrape struct {
	sums map[string]float64
	err  error
}

// scrapeAll fetches every URL in turn (a few endpoints; no need for more).
func scrapeAll(ctx context.Context, urls []string) []scrape {
	out := make([]scrape, len(urls))
	for i, u := range urls {
		out[i].sums, out[i].err = scrapeOne(ctx, u)
	}
	return out
}

func scrapeOne(ctx context.Context, raw string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), scrapeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: status %d", raw, resp.StatusCode)
	}
	return SumMetrics(io.LimitReader(resp.Body, maxMetricsBytes), MetricRequests, MetricOriginFetches, MetricTransforms)
}

// MetricsReport is what the edges' own counters say about the measured
// phase: deltas summed over every scraped endpoint.
type MetricsReport struct {
	Endpoints               []string `json:"endpoints"`
	EdgeRequests            float64  `json:"edge_requests"`
	OriginFetches           float64  `json:"origin_fetches"`
	Transforms              float64  `json:"transforms"`
	OriginFetchesPerRequest float64  `json:"origin_fetches_per_request"`
	TransformsPerRequest    float64  `json:"transforms_per_request"`
	// EdgeCache is the edges' own request count by cache label (hit, miss,
	// stale, revalidated, peer, none); a request forwarded to its owner
	// counts once as peer on the first node and once more on the owner.
	EdgeCache map[string]float64 `json:"edge_cache,omitempty"`
	// EdgeHitRatio is (hit+stale+revalidated) / (those+miss) over
	// EdgeCache: the cluster-wide hit ratio, owners' answers included.
	EdgeHitRatio *float64 `json:"edge_hit_ratio,omitempty"`
	Errors       []string `json:"errors,omitempty"`
}

var edgeCacheLabels = []string{"hit", "miss", "stale", "revalidated", "peer", "none"}

func metricsReport(urls []string, before, after []scrape, requests int64) *MetricsReport {
	m := &MetricsReport{Endpoints: urls}
	for i := range urls {
		if err := errors.Join(before[i].err, after[i].err); err != nil {
			m.Errors = append(m.Errors, err.Error())
			continue
		}
		m.EdgeRequests += after[i].sums[MetricRequests] - before[i].sums[MetricRequests]
		m.OriginFetches += after[i].sums[MetricOriginFetches] - before[i].sums[MetricOriginFetches]
		m.Transforms += after[i].sums[MetricTransforms] - before[i].sums[MetricTransforms]
		for _, l := range edgeCacheLabels {
			key := MetricRequests + `{cache="` + l + `"}`
			if d := after[i].sums[key] - before[i].sums[key]; d != 0 {
				if m.EdgeCache == nil {
					m.EdgeCache = map[string]float64{}
				}
				m.EdgeCache[l] += d
			}
		}
	}
	hits := m.EdgeCache["hit"] + m.EdgeCache["stale"] + m.EdgeCache["revalidated"]
	if known := hits + m.EdgeCache["miss"]; known > 0 {
		ratio := hits / known
		m.EdgeHitRatio = &ratio
	}
	if requests > 0 {
		m.OriginFetchesPerRequest = m.OriginFetches / float64(requests)
		m.TransformsPerRequest = m.Transforms / float64(requests)
	}
	return m
}
