package bench

import (
	"context"
	"errors"
	"fmt"
)

// Comparison is the result of Compare: one report per contender, same
// workload.
type Comparison struct {
	Workload string        `json:"workload"`
	Runs     []ComparedRun `json:"runs"`
}

// ComparedRun is one contender's run.
type ComparedRun struct {
	Contender Contender `json:"contender"`
	Report    *Report   `json:"report"`
}

// Compare runs the same workload (same seed, so the same requests in the
// same order) against each contender in turn, rewritten to its dialect,
// with cfg's load settings; cfg.Targets and cfg.MetricsURLs are replaced by
// each contender's. Runs one after the other, so they never share the
// machine. It stops at the first run that fails to start, or when ctx ends;
// the runs done so far are returned with the error.
func Compare(ctx context.Context, cfg Config, wl Workload, contenders []Contender) (*Comparison, error) {
	if len(contenders) == 0 {
		return nil, fmt.Errorf("%w: nothing to compare", ErrBadConfig)
	}
	seen := map[string]bool{}
	for _, c := range contenders {
		if seen[c.Name] {
			return nil, fmt.Errorf("%w: two contenders named %q", ErrBadConfig, c.Name)
		}
		seen[c.Name] = true
	}
	cmp := &Comparison{Workload: wl.Name()}
	for _, c := range contenders {
		run := cfg
		run.Targets, run.MetricsURLs = c.Targets, c.MetricsURLs
		if cfg.Progress != nil {
			name := c.Name
			run.Progress = func(p Progress) {
				p.Target = name
				cfg.Progress(p)
			}
		}
		rep, err := Run(ctx, run, withDialect(wl, c.Dialect))
		if rep != nil {
			cmp.Runs = append(cmp.Runs, ComparedRun{Contender: c, Report: rep})
		}
		if err != nil {
			return cmp, fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	return cmp, nil
}

// Lines returns each run's timeline under its contender's name, for
// charts.
func (c *Comparison) Lines() []ChartLine {
	lines := make([]ChartLine, len(c.Runs))
	for i, r := range c.Runs {
		lines[i] = ChartLine{Name: r.Contender.Name, Timeline: r.Report.Timeline}
	}
	return lines
}

// errNoLines reports a chart request without data.
var errNoLines = errors.New("bench: no timeline to chart")
