package sim

import "fmt"

// Params sizes the standard suite.
type Params struct {
	Objects  int     // distinct objects in the Zipf working set
	Requests int     // requests per trace
	Median   float64 // median object size, bytes
	Seed     uint64
}

// DefaultParams is what cmd/cachesim runs by default.
func DefaultParams() Params {
	return Params{Objects: 100_000, Requests: 2_000_000, Median: 16 << 10, Seed: 1}
}

// Traces returns the suite: Zipf α 0.7, 0.9 and 1.1, and Zipf 0.9
// with a one-off scan of half the working set's object count in the middle.
func Traces(p Params) []Trace {
	scanLen := p.Objects / 2
	sizes := Sizes(p.Objects+scanLen, p.Median, p.Seed)
	var out []Trace
	for _, alpha := range []float64{0.7, 0.9, 1.1} {
		out = append(out, Trace{
			Name:     fmt.Sprintf("zipf-%.1f", alpha),
			Sizes:    sizes[:p.Objects],
			Requests: Zipf(p.Objects, alpha, p.Requests, p.Seed),
		})
	}
	reqs := Zipf(p.Objects, 0.9, p.Requests, p.Seed)
	out = append(out, Trace{
		Name:       "zipf-0.9+scan",
		Sizes:      sizes,
		Requests:   WithScan(reqs, p.Objects, scanLen),
		WorkingSet: p.Objects,
	})
	return out
}

// Budgets are the cache sizes compared, as percentages of the working set.
var Budgets = []float64{1, 10}

// Run compares every trace of the suite at every budget.
func Run(p Params) []Row {
	var rows []Row
	for _, t := range Traces(p) {
		for _, pct := range Budgets {
			rows = append(rows, Compare(t, pct))
		}
	}
	return rows
}
