package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
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

// SumMetrics parses a Prometheus text exposition and returns, for each
// wanted metric name, the sum of its samples over all label sets under the
// key NAME, and the sum per value of each of its labels under the key
// NAME{LABEL="VALUE"} (the value as written in the exposition). Names with
// no samples are absent. Comments and other metrics are skipped. Malformed
// sample lines give ErrBadMetrics naming the line; it never panics.
func SumMetrics(r io.Reader, wanted ...string) (map[string]float64, error) {
	sums := make(map[string]float64, len(wanted))
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		s, err := parseSample(text)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrBadMetrics, line, err)
		}
		if !slices.Contains(wanted, s.name) {
			continue
		}
		sums[s.name] += s.value
		for _, l := range s.labels {
			sums[s.name+"{"+l.name+"=\""+l.value+"\"}"] += s.value
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMetrics, err)
	}
	return sums, nil
}

// sample is one parsed exposition line.
type sample struct {
	name   string
	labels []label
	value  float64
}

type label struct{ name, value string }

// parseSample splits `name{labels} value [timestamp]`.
func parseSample(text string) (sample, error) {
	end := strings.IndexAny(text, "{ \t")
	if end <= 0 {
		return sample{}, errors.New("no value after metric name")
	}
	s, rest := sample{name: text[:end]}, text[end:]
	if rest[0] == '{' {
		labels, n, err := parseLabels(rest)
		if err != nil {
			return sample{}, fmt.Errorf("metric %s: %v", truncate(s.name, 80), err)
		}
		s.labels, rest = labels, rest[n:]
	}
	fields := strings.Fields(rest)
	if len(fields) < 1 || len(fields) > 2 {
		return sample{}, fmt.Errorf("metric %s: want a value and an optional timestamp", truncate(s.name, 80))
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return sample{}, fmt.Errorf("metric %s: value %q", truncate(s.name, 80), truncate(fields[0], 40))
	}
	s.value = v
	return s, nil
}

// parseLabels reads the leading {name="value",…} block and returns its
// labels (values still escaped) and its length.
func parseLabels(s string) ([]label, int, error) {
	var out []label
	i := 1
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == ',') {
			i++
		}
		if i < len(s) && s[i] == '}' {
			return out, i + 1, nil
		}
		eq := strings.IndexByte(s[i:], '=')
		if eq <= 0 || i+eq+1 >= len(s) || s[i+eq+1] != '"' {
			return nil, 0, errors.New("want label=\"value\"")
		}
		name := strings.TrimSpace(s[i : i+eq])
		start := i + eq + 2
		j := start
		for ; j < len(s) && s[j] != '"'; j++ {
			if s[j] == '\\' {
				j++
			}
		}
		if j >= len(s) {
			return nil, 0, errors.New("unterminated label value")
		}
		out = append(out, label{name: name, value: s[start:j]})
		i = j + 1
	}
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
