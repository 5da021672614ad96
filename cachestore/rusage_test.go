package cachestore

import (
	"syscall"
	"testing"
	"time"
)

// cpuClock measures the CPU time (user + system, all threads) this process
// spends, so that benchmarks can report a cost per operation that does not
// depend on how much of a shared, oversubscribed machine they were given.
type cpuClock struct{ start time.Duration }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{start: cpuTime()} }

// report adds the cpu-ns/op metric: CPU time since start over b.N.
func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(cpuTime()-c.start)/float64(b.N), "cpu-ns/op")
}
