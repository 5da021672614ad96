package bench

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteText writes r as a human-readable table.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "workload     %s\n", r.Workload)
	mode := fmt.Sprintf("closed loop, %d connections", r.Connections)
	if r.Mode == "open" {
		mode = fmt.Sprintf("open loop at %.0f req/s, up to %d in flight, max send lag %.2fms", r.TargetRate, r.Connections, r.MaxSendLagMs)
	}
	fmt.Fprintf(&b, "load         %s %s, %s, %d target(s), %.2fs\n", r.Client, r.Method, mode, len(r.Targets), r.ElapsedSeconds)
	fmt.Fprintf(&b, "requests     %d (%.1f/s), %d responses, %d errors\n", r.Requests, r.RequestsPerSec, r.Responses, r.Errors)
	fmt.Fprintf(&b, "bytes        %s (%s/s)\n", humanBytes(float64(r.Bytes)), humanBytes(r.BytesPerSec))
	l := r.Latency
	fmt.Fprintf(&b, "latency ms   p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f\n", l.P50, l.P90, l.P99, l.P999, l.Max, l.Mean)
	fmt.Fprintf(&b, "status       %s\n", countList(r.Status, r.Responses))
	fmt.Fprintf(&b, "x-cache      %s\n", countList(r.Cache, r.Responses))
	if r.HitRatio != nil {
		fmt.Fprintf(&b, "hit ratio    %.4f (HIT+STALE+REVALIDATED over those and MISS)\n", *r.HitRatio)
	}
	fmt.Fprintf(&b, "conditional  %d sent with If-None-Match, %d answered 304\n", r.Conditional, r.NotModified)
	for _, k := range sortedKeys(r.ErrorKinds) {
		fmt.Fprintf(&b, "error        %s %d, e.g. %q\n", k, r.ErrorKinds[k], r.ErrorSamples[k])
	}
	if m := r.Metrics; m != nil {
		fmt.Fprintf(&b, "edges        %d endpoint(s): %.0f edge requests, %.0f origin fetches (%.4f/request), %.0f transforms (%.4f/request)\n",
			len(m.Endpoints), m.EdgeRequests, m.OriginFetches, m.OriginFetchesPerRequest, m.Transforms, m.TransformsPerRequest)
		if m.EdgeHitRatio != nil {
			fmt.Fprintf(&b, "edge cache   %s, edge hit ratio %.4f\n", floatList(m.EdgeCache), *m.EdgeHitRatio)
		}
		for _, e := range m.Errors {
			fmt.Fprintf(&b, "metrics err  %s\n", e)
		}
	}
	for _, warning := range r.Warnings {
		fmt.Fprintf(&b, "WARNING      %s\n", warning)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func countList(m map[string]int64, total int64) string {
	if len(m) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		p := fmt.Sprintf("%s %d", k, m[k])
		if total > 0 {
			p += fmt.Sprintf(" (%.1f%%)", 100*float64(m[k])/float64(total))
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "  ")
}

func floatList(m map[string]float64) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %.0f", k, m[k]))
	}
	return strings.Join(parts, "  ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func humanBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}
