package cachestore

import (
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

// cpuClock measures the CPU time (user + system, all threads) this process
// spends, so that benchmarks can report a cost per operation that does not
// depend on how much of a shared, oversubscribed machine they were given.
type cpuClock struct{ start time.Duration }

func startCPU() cpuClock { return cpuClock{start: testenv.CPUTime()} }

// report adds the cpu-ns/op metric: CPU time since start over b.N.
func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(testenv.CPUTime()-c.start)/float64(b.N), "cpu-ns/op")
}
