package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"pixcdn/bench"
)

// soakLoad drives the Zipf GET load of the soak with the bench engine: one
// bench.Run per edge per interval (cfg.interval), so that every interval has
// its own figures and a failure can be told apart by edge and by time (the
// restarted edge's refused connections while it is down from any other).
// Between intervals it reads the edges' counters for the cluster-wide hit
// ratio.
type soakLoad struct {
	cfg      soakConfig
	public   []string // edge base URLs
	internal []string // edge internal base URLs
	start    time.Time

	mu        sync.Mutex
	intervals []loadInterval
}

// loadInterval is one stretch of load: each edge's report and the edges'
// counters over it (summed over the edges).
type loadInterval struct {
	start, end time.Time
	reports    []*bench.Report // by edge; nil when the run could not start
	runErrs    []error
	counters   edgeCounters
}

// edgeCounters are an edge's request counters by cache label (hit, miss,
// stale, revalidated, peer, none) and its transforms and origin fetches.
type edgeCounters map[string]float64

const (
	counterRequests      = "requests"
	counterTransforms    = "transforms"
	counterOriginFetches = "origin_fetches"
)

var cacheLabels = []string{"hit", "miss", "stale", "revalidated", "peer", "none"}

// run sends load until the soak ends at until.
func (l *soakLoad) run(until time.Time) {
	client := &http.Client{Timeout: 5 * time.Second}
	prev := make([]edgeCounters, len(l.internal))
	for i, u := range l.internal {
		prev[i], _ = scrapeEdgeCounters(client, u+"/metrics")
	}
	for k := 0; time.Until(until) >= time.Second; k++ {
		length := min(l.cfg.interval, time.Until(until))
		iv := loadInterval{start: time.Now(), reports: make([]*bench.Report, len(l.public)), runErrs: make([]error, len(l.public))}
		var wg sync.WaitGroup
		for i, target := range l.public {
			wg.Go(func() { iv.reports[i], iv.runErrs[i] = l.runEdge(k, i, target, length) })
		}
		wg.Wait()
		iv.end = time.Now()
		iv.counters = edgeCounters{}
		for i, u := range l.internal {
			cur, ok := scrapeEdgeCounters(client, u+"/metrics")
			if !ok {
				continue // down: its counts are taken at the next scrape
			}
			iv.counters.add(cur.since(prev[i]))
			prev[i] = cur
		}
		l.mu.Lock()
		l.intervals = append(l.intervals, iv)
		l.mu.Unlock()
	}
}

// runEdge loads one edge for one interval at its share of the rate.
func (l *soakLoad) runEdge(interval, edge int, target string, length time.Duration) (*bench.Report, error) {
	wl := bench.DefaultSyntheticConfig()
	// A seed per interval and edge: each interval draws new requests.
	wl.Seed, wl.Tenant, wl.Images = uint64(interval*len(l.public)+edge+1), soakTenant, l.cfg.images
	workload, err := bench.NewSynthetic(wl)
	if err != nil {
		return nil, err
	}
	cfg := bench.DefaultConfig()
	cfg.Targets = []string{target}
	cfg.Rate = l.cfg.rate / float64(len(l.public))
	cfg.Connections, cfg.Duration, cfg.Timeout = l.cfg.connections, length, 10*time.Second
	return bench.Run(context.Background(), cfg, workload)
}

// scrapeEdgeCounters reads an edge's counters; false when it does not answer.
func scrapeEdgeCounters(client *http.Client, url string) (edgeCounters, bool) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, false
	}
	sums, err := bench.SumMetrics(io.LimitReader(resp.Body, 16<<20), bench.MetricRequests, bench.MetricTransforms, bench.MetricOriginFetches)
	if err != nil {
		return nil, false
	}
	c := edgeCounters{
		counterRequests:      sums[bench.MetricRequests],
		counterTransforms:    sums[bench.MetricTransforms],
		counterOriginFetches: sums[bench.MetricOriginFetches],
	}
	for _, l := range cacheLabels {
		c[l] = sums[bench.MetricRequests+`{cache="`+l+`"}`]
	}
	return c, true
}

// since is c minus an earlier reading of the same edge; when the counters
// went down the edge was restarted in between and c counts from its start.
// A missing earlier reading counts from the edge's start too.
func (c edgeCounters) since(earlier edgeCounters) edgeCounters {
	if earlier == nil || c[counterRequests] < earlier[counterRequests] {
		return maps.Clone(c)
	}
	d := edgeCounters{}
	for k, v := range c {
		d[k] = v - earlier[k]
	}
	return d
}

func (c edgeCounters) add(d edgeCounters) {
	for k, v := range d {
		c[k] += v
	}
}

// hitRatio is (hit+stale+revalidated) / (those+miss), the answers of the
// variants' owners: a forwarded request counts as peer on the node the
// client reached and as hit or miss on the owner.
func (c edgeCounters) hitRatio() float64 {
	hits := c["hit"] + c["stale"] + c["revalidated"]
	if hits+c["miss"] == 0 {
		return 0
	}
	return hits / (hits + c["miss"])
}

// restartWindow is when one edge was down on purpose: from its kill until
// it answered /readyz again.
type restartWindow struct {
	edge          int // 0-based
	killed, ready time.Time
}

// covers says whether an interval's load on edge overlapped the window.
// A second of slack after ready covers connections the client opened while
// the edge was still starting.
func (w restartWindow) covers(edge int, iv loadInterval) bool {
	return edge == w.edge && !w.killed.IsZero() && iv.start.Before(w.ready.Add(time.Second)) && iv.end.After(w.killed)
}

// loadTally sums the intervals: what clients got and what the edges counted.
type loadTally struct {
	requests, ok, notModified int64
	// unexpectedStatus counts answers other than 200 and 304 by status:
	// the Zipf images are never deleted, so none is expected.
	unexpectedStatus map[string]int64
	// connErrors are transport errors (refused, reset, timeout…) by kind;
	// restartErrors those of the restarted edge while it was down, which a
	// client meets when a node dies under it and are expected.
	connErrors, restartErrors map[string]int64
	errSamples                []string
	runErrs                   []string
	counters                  edgeCounters
}

func tallyLoad(intervals []loadInterval, restart restartWindow, from time.Time) loadTally {
	t := loadTally{unexpectedStatus: map[string]int64{}, connErrors: map[string]int64{}, restartErrors: map[string]int64{}, counters: edgeCounters{}}
	for _, iv := range intervals {
		if iv.start.Before(from) {
			continue
		}
		t.counters.add(iv.counters)
		for edge, rep := range iv.reports {
			if err := iv.runErrs[edge]; err != nil {
				t.runErrs = append(t.runErrs, fmt.Sprintf("edge%d: %v", edge+1, err))
			}
			if rep == nil {
				continue
			}
			t.requests += rep.Requests
			for status, n := range rep.Status {
				switch status {
				case "200":
					t.ok += n
				case "304":
					t.notModified += n
				default:
					t.unexpectedStatus[status] += n
				}
			}
			errs := t.connErrors
			if restart.covers(edge, iv) {
				errs = t.restartErrors
			}
			for kind, n := range rep.ErrorKinds {
				errs[kind] += n
				if restart.covers(edge, iv) {
					continue
				}
				if len(t.errSamples) < 10 {
					t.errSamples = append(t.errSamples, fmt.Sprintf("edge%d at %s: %s", edge+1, iv.start.Format(time.TimeOnly), rep.ErrorSamples[kind]))
				}
			}
		}
	}
	return t
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// writeLoadCSV writes one row per interval: what clients got (requests,
// statuses, transport errors, the slowest edge's p99) and the edges'
// counters (hit ratio, transforms, origin fetches).
func writeLoadCSV(path string, intervals []loadInterval, soakStart time.Time, restart restartWindow) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"elapsed_end_s", "requests", "requests_per_s", "status_200", "status_304", "other_status",
		"connection_errors", "restart_connection_errors", "p99_ms_slowest_edge", "hit_ratio", "hit", "miss", "peer", "transforms", "origin_fetches"})
	for _, iv := range intervals {
		t := tallyLoad([]loadInterval{iv}, restart, time.Time{})
		var p99 float64
		for _, rep := range iv.reports {
			if rep != nil {
				p99 = max(p99, rep.Latency.P99)
			}
		}
		c := iv.counters
		_ = w.Write([]string{
			strconv.Itoa(int(iv.end.Sub(soakStart).Round(time.Second) / time.Second)),
			strconv.FormatInt(t.requests, 10),
			strconv.FormatFloat(float64(t.requests)/iv.end.Sub(iv.start).Seconds(), 'f', 1, 64),
			strconv.FormatInt(t.ok, 10), strconv.FormatInt(t.notModified, 10),
			strconv.FormatInt(sum(t.unexpectedStatus), 10), strconv.FormatInt(sum(t.connErrors), 10),
			strconv.FormatInt(sum(t.restartErrors), 10), strconv.FormatFloat(p99, 'f', 1, 64),
			strconv.FormatFloat(c.hitRatio(), 'f', 3, 64),
			strconv.FormatFloat(c["hit"]+c["stale"]+c["revalidated"], 'f', 0, 64), strconv.FormatFloat(c["miss"], 'f', 0, 64),
			strconv.FormatFloat(c["peer"], 'f', 0, 64), strconv.FormatFloat(c[counterTransforms], 'f', 0, 64),
			strconv.FormatFloat(c[counterOriginFetches], 'f', 0, 64),
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// sortedCounts prints a count map as "k=v, …" in key order, or "none".
func sortedCounts(m map[string]int64) string {
	if sum(m) == 0 {
		return "none"
	}
	out := ""
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] == 0 {
			continue
		}
		if out != "" {
			out += ", "
		}
		out += fmt.Sprintf("%s=%d", k, m[k])
	}
	return out
}

// purgeLags describes each edge's pixcdn_purge_lag_seconds (origin commit
// to purge applied, first delivery of each event) since the edge started:
// how many events it applied and how many of them later than 1 s and 2.5 s.
func purgeLags(internal []string) string {
	client := &http.Client{Timeout: 5 * time.Second}
	var out []string
	for i, u := range internal {
		resp, err := client.Get(u + "/metrics")
		if err != nil {
			out = append(out, fmt.Sprintf("edge%d: %v", i+1, err))
			continue
		}
		n, within1s, within2500ms := purgeLagCounts(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		out = append(out, fmt.Sprintf("edge%d %.0f events, %.0f later than 1 s, %.0f later than 2.5 s", i+1, n, n-within1s, n-within2500ms))
	}
	return strings.Join(out, "; ")
}

// purgeLagCounts reads the pixcdn_purge_lag_seconds histogram from a
// Prometheus text exposition, summed over its paths: the count, and the
// buckets le="1" and le="2.5".
func purgeLagCounts(r io.Reader) (count, within1s, within2500ms float64) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(line, "pixcdn_purge_lag_seconds_count"):
			count += v
		case strings.HasPrefix(line, "pixcdn_purge_lag_seconds_bucket{") && strings.Contains(line, `le="1"`):
			within1s += v
		case strings.HasPrefix(line, "pixcdn_purge_lag_seconds_bucket{") && strings.Contains(line, `le="2.5"`):
			within2500ms += v
		}
	}
	return count, within1s, within2500ms
}
