package bench

import (
	"sync/atomic"
	"time"
)

// recorder accumulates one phase's results; safe for concurrent use.
type recorder struct {
	hist        *Histogram
	timeline    timeline
	status      [600]atomic.Int64
	statusOther atomic.Int64
	cache       [len(cacheKindsArr)]atomic.Int64
	errs        [len(errorKindsArr)]atomic.Int64
	errSample   [len(errorKindsArr)]atomic.Pointer[string]
	bytes       atomic.Int64
	conditional atomic.Int64
	maxLag      atomic.Int64 // open loop: latest send after its intended time, ns
}

var (
	cacheKindsArr = [...]string{CacheHit, CacheMiss, CacheStale, CacheRevalidated, CachePeer, CacheNone, CacheOther}
	errorKindsArr = [...]string{ErrKindTimeout, ErrKindRefused, ErrKindReset, ErrKindNoConns, ErrKindTooLarge, ErrKindCancelled, ErrKindOther}
)

// newRecorder returns a recorder whose timeline has the given interval;
// its start is set by the phase before the first request.
func newRecorder(interval time.Duration) *recorder {
	r := &recorder{hist: NewHistogram()}
	r.timeline.interval = interval
	return r
}

// record adds one finished request: latency from its intended start,
// send lag (0 in a closed loop), whether it was sent conditionally and when
// it finished.
func (r *recorder) record(o outcome, latency, lag time.Duration, conditional bool, done time.Time) {
	r.hist.RecordDuration(latency)
	r.timeline.record(done, latency, o.err != nil)
	if conditional {
		r.conditional.Add(1)
	}
	if lag > 0 {
		for old := r.maxLag.Load(); int64(lag) > old && !r.maxLag.CompareAndSwap(old, int64(lag)); old = r.maxLag.Load() {
		}
	}
	if o.err != nil {
		i := indexOf(errorKindsArr[:], errorKind(o.err))
		if r.errs[i].Add(1) == 1 {
			msg := o.err.Error()
			r.errSample[i].CompareAndSwap(nil, &msg)
		}
		return
	}
	if o.status >= 0 && o.status < len(r.status) {
		r.status[o.status].Add(1)
	} else {
		r.statusOther.Add(1)
	}
	cache := o.cache
	if cache == "" {
		cache = CacheNone
	}
	r.cache[indexOf(cacheKindsArr[:], cache)].Add(1)
	r.bytes.Add(o.bytes)
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return len(list) - 1
}
