package clustertest

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"pixcdn/internal/testenv"
)

// steadyLoad is client traffic against some nodes of a cluster until Stop:
// cachedWorkers loop over cachedPaths (warmed before), uncachedWorkers ask
// for a variant nobody asked for before on each request, until Stop or
// until limit requests ran. A request fails on a transport error or any
// status but 200. Safe for concurrent use.
type steadyLoad struct {
	total, failed, uncached atomic.Int64
	mu                      sync.Mutex
	failures                []string // the first few
	stop                    chan struct{}
	wg                      sync.WaitGroup
}

// uncachedPath is the i-th never-requested variant of photos/big.jpg: each
// (w, h) pair is a distinct canonical key, so its owner is spread over the
// ring like any new variant's.
func uncachedPath(i int64) string {
	return fmt.Sprintf("/acme/photos/big.jpg?w=%d&h=%d&fit=cover", 16+i%1000, 16+i/1000)
}

// cachedPaths are n variants for the cached workers.
func cachedPaths(n int) []string {
	paths := make([]string, n)
	for i := range paths {
		paths[i] = fmt.Sprintf("/acme/photos/big.jpg?w=%d", 40+i)
	}
	return paths
}

func startLoad(targets []*testenv.EdgeNode, cached []string, cachedWorkers, uncachedWorkers int, limit int64) *steadyLoad {
	l := &steadyLoad{stop: make(chan struct{})}
	var next atomic.Int64
	for w := range cachedWorkers + uncachedWorkers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := w; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				if l.total.Load() >= limit {
					return
				}
				path := ""
				if w < cachedWorkers {
					path = cached[(i*7)%len(cached)]
				} else {
					path = uncachedPath(next.Add(1))
					l.uncached.Add(1)
				}
				l.record(get(targets[i%len(targets)].URL(path)), path)
			}
		}()
	}
	return l
}

func (l *steadyLoad) record(a answer, path string) {
	l.total.Add(1)
	if a.err == nil && a.code == 200 {
		return
	}
	l.failed.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) < 5 {
		l.failures = append(l.failures, fmt.Sprintf("%s: %d %v %.80q", path, a.code, a.err, a.body))
	}
}

// Stop ends the load and waits for the requests in flight.
func (l *steadyLoad) Stop() {
	close(l.stop)
	l.wg.Wait()
}

// Failures returns the first few failed requests.
func (l *steadyLoad) Failures() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.failures)
}

// quantile returns the p-quantile (0 < p ≤ 1, nearest rank) of d; zero
// for none.
func quantile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(d))
	return s[min(max(int(math.Ceil(p*float64(len(s))))-1, 0), len(s)-1)]
}

// ms formats d in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
