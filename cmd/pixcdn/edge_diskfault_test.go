package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

// TestEdgeKeepsServingWhenItsCacheDirIsRemoved removes a running edge's
// --cache-dir under a small steady load of cached and uncached variants:
// every request must still be answered 200, the fault must be logged and
// counted once, the cache reopened in a recreated directory, and SIGTERM
// must stop the edge within 2 s.
func TestEdgeKeepsServingWhenItsCacheDirIsRemoved(t *testing.T) {
	testenv.SkipIfShort(t, "starts a pixcdn edge process")
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "acme"), 0o755); err != nil {
		t.Fatal(err)
	}
	const images = 4
	for i := range images {
		if err := os.WriteFile(filepath.Join(root, "acme", fmt.Sprintf("p%d.png", i)), tinyPNG(i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n := testenv.StartLoneEdge(t, "diskfault", "dir:"+root)
	n.WaitReady(t, 60*time.Second)

	cached := make([]string, 0, images)
	for i := range images {
		cached = append(cached, n.URL(fmt.Sprintf("/acme/p%d.png?w=8", i)))
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, u := range cached {
		if code, err := getStatus(client, u); code != http.StatusOK {
			t.Fatalf("warming %s: %d %v", u, code, err)
		}
	}
	// More on disk than the load below adds after the fault.
	for j := range 400 {
		if code, err := getStatus(client, n.URL(fmt.Sprintf("/acme/p%d.png?w=%d", j%images, 1000+j))); code != http.StatusOK {
			t.Fatalf("warming: %d %v", code, err)
		}
	}
	before := clusterDiskBytes(t, n)
	if before <= 0 {
		t.Fatalf("/_cluster disk_bytes %d before the fault, want > 0", before)
	}

	load := startDiskFaultLoad(client, cached, n.URL("/acme/p0.png"))
	removed := time.Now()
	if err := os.RemoveAll(n.CacheDir); err != nil {
		t.Fatal(err)
	}
	var toDetect time.Duration
	detected := waitFor(t, 15*time.Second, func() bool {
		toDetect = time.Since(removed)
		return n.Metric(t, "pixcdn_cache_disk_faults_total", `reason="dir_gone"`) >= 1
	})
	reopened := waitFor(t, 15*time.Second, func() bool {
		return n.Metric(t, "pixcdn_cache_disk_state", `reason="ok"`) == 1 &&
			n.Metric(t, "pixcdn_cache_disk_reopens_total") >= 1
	})
	time.Sleep(time.Second) // a second more of load on the reopened cache
	requests, failures := load.stop()

	if detected {
		t.Logf("fault seen on /metrics %.2f s after rm -rf", toDetect.Seconds())
	} else {
		t.Errorf("pixcdn_cache_disk_faults_total{reason=\"dir_gone\"} never rose")
	}
	if !reopened {
		t.Errorf("the disk cache was not reported reopened (pixcdn_cache_disk_state{reason=\"ok\"} 1, pixcdn_cache_disk_reopens_total >= 1)")
	}
	t.Logf("%d requests under load, %d failed: %s", requests, len(failures), strings.Join(failures[:min(len(failures), 5)], "; "))
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed during the fault", len(failures), requests)
	}
	if after := clusterDiskBytes(t, n); after >= before {
		t.Errorf("/_cluster disk_bytes %d after the directory was replaced, want below the %d before", after, before)
	}
	if _, err := os.Stat(filepath.Join(n.CacheDir, "store")); err != nil {
		t.Errorf("cache directory not recreated: %v", err)
	}

	start := time.Now()
	err := n.Stop(10 * time.Second)
	stopped := time.Since(start)
	t.Logf("SIGTERM to exit: %.2f s", stopped.Seconds())
	if err != nil || stopped > 2*time.Second {
		t.Errorf("stop took %v (err %v), want a clean exit within 2 s", stopped, err)
	}
	logText, _ := os.ReadFile(n.LogPath)
	degradedLines := strings.Count(string(logText), "disk cache lost")
	recoveredLines := strings.Count(string(logText), "disk cache reopened")
	flushErrors := strings.Count(string(logText), "error flushing memtable")
	t.Logf("log: %d degraded, %d reopened, %d memtable flush errors", degradedLines, recoveredLines, flushErrors)
	if degradedLines != 1 || recoveredLines != 1 || flushErrors != 0 {
		t.Errorf("log lines: %d 'disk cache lost', %d 'disk cache reopened', %d 'error flushing memtable'; want 1, 1, 0",
			degradedLines, recoveredLines, flushErrors)
	}
}

// diskFaultLoad requests the cached variants and, in between, variants
// never asked before (each a miss: fetch, transform, cache write), about
// 100 a second, and keeps every failure.
type diskFaultLoad struct {
	done     chan struct{}
	wg       sync.WaitGroup
	requests atomic.Int64
	mu       sync.Mutex
	failures []string
}

func startDiskFaultLoad(client *http.Client, cached []string, uncachedBase string) *diskFaultLoad {
	l := &diskFaultLoad{done: make(chan struct{})}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-l.done:
				return
			case <-tick.C:
			}
			u := cached[i%len(cached)]
			if i%2 == 1 {
				u = fmt.Sprintf("%s?w=%d", uncachedBase, 9+i)
			}
			l.requests.Add(1)
			if code, err := getStatus(client, u); code != http.StatusOK {
				l.mu.Lock()
				l.failures = append(l.failures, fmt.Sprintf("%s: %d %v", u, code, err))
				l.mu.Unlock()
			}
		}
	}()
	return l
}

func (l *diskFaultLoad) stop() (requests int64, failures []string) {
	close(l.done)
	l.wg.Wait()
	return l.requests.Load(), l.failures
}

func getStatus(client *http.Client, url string) (int, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

func clusterDiskBytes(t *testing.T, n *testenv.EdgeNode) int64 {
	t.Helper()
	resp, err := http.Get("http://" + n.Internal + "/_cluster")
	if err != nil {
		t.Fatalf("/_cluster: %v", err)
	}
	defer resp.Body.Close()
	var st struct {
		Cache struct {
			DiskBytes int64 `json:"disk_bytes"`
		} `json:"cache"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("/_cluster: %v", err)
	}
	return st.Cache.DiskBytes
}

// waitFor polls cond every 50 ms until it holds (true) or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool) bool {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
