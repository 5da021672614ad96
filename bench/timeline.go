package bench

import (
	"sync/atomic"
	"time"
)

// maxTimelineSlots bounds the timeline's intervals; the interval is
// widened so that a time-bounded run fits, and a run bounded only by
// requests stops being charted after that many intervals.
const maxTimelineSlots = 600

// timeline records the measured phase's requests per interval of
// completion time, for throughput and latency over time. Safe for
// concurrent use once start has been called.
type timeline struct {
	start    time.Time
	interval time.Duration
	slots    [maxTimelineSlots]atomic.Pointer[timeSlot]
	dropped  atomic.Int64 // requests that finished after the last slot
}

// timeSlot is one interval's latencies (errors included) and errors.
type timeSlot struct {
	hist   *Histogram
	errors atomic.Int64
}

// timelineInterval is the interval for cfg: cfg.SampleInterval, widened
// so that cfg.Duration spans at most maxTimelineSlots intervals.
func timelineInterval(cfg Config) time.Duration {
	interval := cfg.SampleInterval
	if minimum := cfg.Duration / maxTimelineSlots; interval < minimum {
		interval = minimum
	}
	return max(interval, time.Millisecond)
}

func (tl *timeline) record(done time.Time, latency time.Duration, failed bool) {
	i := int(done.Sub(tl.start) / tl.interval)
	if i < 0 {
		i = 0
	}
	if i >= len(tl.slots) {
		tl.dropped.Add(1)
		return
	}
	s := tl.slots[i].Load()
	if s == nil {
		s = &timeSlot{hist: NewHistogram()}
		if !tl.slots[i].CompareAndSwap(nil, s) {
			s = tl.slots[i].Load()
		}
	}
	s.hist.RecordDuration(latency)
	if failed {
		s.errors.Add(1)
	}
}

// TimelinePoint is one interval of the measured phase: what completed in it.
type TimelinePoint struct {
	// Seconds is the end of the interval, from the start of the phase.
	Seconds        float64 `json:"t"`
	RequestsPerSec float64 `json:"requests_per_sec"`
	Errors         int64   `json:"errors"`
	P50Ms          float64 `json:"p50_ms"`
	P90Ms          float64 `json:"p90_ms"`
	P99Ms          float64 `json:"p99_ms"`
}

// points returns one point per interval up to elapsed; intervals with no
// completions have zero figures. A last interval shorter than half the
// others (requests finishing after the phase's end) is folded into the one
// before it, so the last point is never a spike drawn from a sliver.
func (tl *timeline) points(elapsed time.Duration) []TimelinePoint {
	n := min(int((elapsed+tl.interval-1)/tl.interval), len(tl.slots))
	fold := n >= 2 && elapsed-time.Duration(n-1)*tl.interval < tl.interval/2
	if fold {
		n--
	}
	out := make([]TimelinePoint, n)
	for i := range out {
		out[i] = tl.point(i, elapsed)
	}
	if fold {
		out[n-1] = tl.span(n-1, n+1, elapsed)
	}
	return out
}

// point returns interval i, cut short at elapsed.
func (tl *timeline) point(i int, elapsed time.Duration) TimelinePoint {
	return tl.span(i, i+1, elapsed)
}

// span returns intervals [from, to) as one point, cut short at elapsed.
func (tl *timeline) span(from, to int, elapsed time.Duration) TimelinePoint {
	begin := time.Duration(from) * tl.interval
	end := min(time.Duration(to)*tl.interval, elapsed)
	p := TimelinePoint{Seconds: end.Seconds()}
	h := NewHistogram()
	for i := from; i < min(to, len(tl.slots)); i++ {
		if s := tl.slots[i].Load(); s != nil {
			h.Merge(s.hist)
			p.Errors += s.errors.Load()
		}
	}
	if h.Count() > 0 && end > begin {
		p.RequestsPerSec = float64(h.Count()) / (end - begin).Seconds()
		p.P50Ms, p.P90Ms, p.P99Ms = ms(h.Quantile(0.5)), ms(h.Quantile(0.9)), ms(h.Quantile(0.99))
	}
	return p
}

// Progress is the measured phase so far, for a live display.
type Progress struct {
	// Target names the server under load in a comparison; "" otherwise.
	Target   string
	Elapsed  time.Duration
	Requests int64
	Errors   int64
	// Last is the last complete interval.
	Last TimelinePoint
}

// progress reports the phase so far, the last complete interval included.
func (r *recorder) progress(elapsed time.Duration) Progress {
	p := Progress{Elapsed: elapsed, Requests: int64(r.hist.Count())}
	for i := range r.errs {
		p.Errors += r.errs[i].Load()
	}
	if last := int(elapsed/r.timeline.interval) - 1; last >= 0 && last < maxTimelineSlots {
		p.Last = r.timeline.point(last, elapsed)
	}
	return p
}
