package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
// wanted metric name, the sum of its samples over all label sets (a name
// with no samples is absent). Comments and other metrics are skipped.
// Malformed sample lines give ErrBadMetrics naming the line; it never panics.
func SumMetrics(r io.Reader, wanted ...string) (map[string]float64, error) {
	sums := make(map[string]float64, len(wanted))
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		name, value, err := parseSample(text)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrBadMetrics, line, err)
		}
		for _, w := range wanted {
			if name == w {
				sums[name] += value
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMetrics, err)
	}
	return sums, nil
}

// parseSample splits `name{labels} value [timestamp]`.
func parseSample(text string) (string, float64, error) {
	end := strings.IndexAny(text, "{ \t")
	if end <= 0 {
		return "", 0, errors.New("no value after metric name")
	}
	name, rest := text[:end], text[end:]
	if rest[0] == '{' {
		n, err := skipLabels(rest)
		if err != nil {
			return "", 0, err
		}
		rest = rest[n:]
	}
	fields := strings.Fields(rest)
	if len(fields) < 1 || len(fields) > 2 {
		return "", 0, fmt.Errorf("metric %s: want a value and an optional timestamp", truncate(name, 80))
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return "", 0, fmt.Errorf("metric %s: value %q", truncate(name, 80), truncate(fields[0], 40))
	}
	return name, v, nil
}

// skipLabels returns the length of the leading {…} label block, honouring
// quoted values with backslash escapes.
func skipLabels(s string) (int, error) {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '}':
			return i + 1, nil
		}
	}
	return 0, errors.New("unterminated label set")
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
	Errors                  []string `json:"errors,omitempty"`
}

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
	}
	if requests > 0 {
		m.OriginFetchesPerRequest = m.OriginFetches / float64(requests)
		m.TransformsPerRequest = m.Transforms / float64(requests)
	}
	return m
}
