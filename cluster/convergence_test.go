package cluster

import (
	"slices"
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

// BenchmarkConvergenceAfterKill measures, per iteration, a fresh 5-node
// loopback cluster losing one node without a leave message: detect-ms is the
// time until no survivor's ring contains it, agree-ms until every survivor
// has the same ring and sees every member advertising it (forwarding
// resumes). Run: go test -run XXX -bench ConvergenceAfterKill -benchtime 5x ./cluster/
func BenchmarkConvergenceAfterKill(b *testing.B) {
	var detect, agree []float64
	for b.Loop() {
		b.StopTimer()
		d, a := killAndConverge(b)
		detect, agree = append(detect, d), append(agree, a)
		b.StartTimer()
	}
	b.ReportMetric(median(detect), "detect-ms")
	b.ReportMetric(median(agree), "agree-ms")
	b.ReportMetric(slices.Max(agree), "max-agree-ms")
}

func killAndConverge(b *testing.B) (detectMS, agreeMS float64) {
	nodes := startN(b, 5)
	testenv.WaitFor(b, convergeTimeout, "5 nodes to agree", func() bool { return agreed(nodes, 5) })
	victim := nodes[2]
	survivors := slices.Delete(slices.Clone(nodes), 2, 3)
	killed := time.Now()
	if err := victim.shutdown(); err != nil {
		b.Fatal(err)
	}
	testenv.WaitFor(b, convergeTimeout, "kill noticed", func() bool { return excluded(survivors, victim.cfg.NodeName) })
	detectMS = float64(time.Since(killed).Microseconds()) / 1000
	testenv.WaitFor(b, convergeTimeout, "survivors agree", func() bool { return agreed(survivors, 4) })
	agreeMS = float64(time.Since(killed).Microseconds()) / 1000
	for _, c := range survivors {
		_ = c.Close()
	}
	return detectMS, agreeMS
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
