package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteText writes a summary table of the comparison, one row per server,
// then each server's full report.
func (c *Comparison) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "workload     %s\n\n", c.Workload)
	fmt.Fprintf(&b, "%-16s %-9s %10s %9s %9s %9s %9s %8s\n", "server", "dialect", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors")
	for _, r := range c.Runs {
		rep := r.Report
		fmt.Fprintf(&b, "%-16s %-9s %10.1f %9.3f %9.3f %9.3f %9.3f %8d\n", r.Contender.Name, r.Contender.Dialect.Name,
			rep.RequestsPerSec, rep.Latency.P50, rep.Latency.P90, rep.Latency.P99, rep.Latency.Max, rep.Errors)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	for _, r := range c.Runs {
		if _, err := fmt.Fprintf(w, "\n== %s (%s, %s)\n", r.Contender.Name, r.Contender.Dialect.Name, strings.Join(r.Contender.Targets, ", ")); err != nil {
			return err
		}
		if err := r.Report.WriteText(w); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes c as indented JSON.
func (c *Comparison) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// Lines returns the report's timeline as one chart line named after its
// targets.
func (r *Report) Lines() []ChartLine {
	return []ChartLine{{Name: strings.Join(r.Targets, ", "), Timeline: r.Timeline}}
}
