package clustertest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

type attackAnswer struct {
	code       int
	retryAfter string
	took       time.Duration
	err        error
}

func attackGet(c *http.Client, url string) attackAnswer {
	start := time.Now()
	resp, err := c.Get(url)
	if err != nil {
		return attackAnswer{err: err, took: time.Since(start)}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return attackAnswer{code: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), took: time.Since(start)}
}

// TestExpensiveRequestsDoNotStopOtherClients replays the outside test's
// attack: many concurrent requests for distinct expensive variants of a
// 5 MP photo from one address. Before, they all failed after 5–15 s and
// every other client's uncached request got 504 for minutes. Now absurd
// option sets are refused at once, expensive ones are bounded per client
// and fail fast when the node is full, abandoned work is dropped, and
// another client's new variants keep being made.
func TestExpensiveRequestsDoNotStopOtherClients(t *testing.T) {
	root := t.TempDir()
	writeJPEG(t, root, "acme", "photo.jpg", 2560, 1920, 90)
	// One node: on this test machine every node shares the same cores, so
	// one node's workers already use all of them.
	node := testenv.StartLoneEdge(t, "edge1", "dir:"+root)
	node.WaitReady(t, 20*time.Second)
	attacker, other := clientFrom(net.IPv4(127, 0, 0, 1), true), clientFrom(net.IPv4(127, 0, 0, 2), true)

	// The outside test's URLs: refused as too expensive, fast.
	absurd := make([]attackAnswer, 40)
	var wg sync.WaitGroup
	for i := range absurd {
		wg.Add(1)
		go func() {
			defer wg.Done()
			absurd[i] = attackGet(attacker, node.URL(fmt.Sprintf("/acme/photo.jpg?w=8192&h=8192&fit=fill&blur=%d&fm=jpeg", 51+i)))
		}()
	}
	wg.Wait()
	for i, a := range absurd {
		if a.err != nil || a.code != 400 || a.took > 3*time.Second {
			t.Fatalf("absurd request %d: %d %v after %v; want a fast 400", i, a.code, a.err, a.took)
		}
	}

	// Expensive but allowed variants (about a second of CPU each), 40 at a
	// time from one address for a few seconds, while another client asks
	// for new ordinary variants.
	stop := make(chan struct{})
	attack := map[int]int{}
	var attackMu sync.Mutex
	for w := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				a := attackGet(attacker, node.URL(fmt.Sprintf("/acme/photo.jpg?w=4000&h=%d&fit=fill&blur=5&fm=jpeg", 3000+(w*37+i)%1000)))
				attackMu.Lock()
				attack[a.code]++
				attackMu.Unlock()
				if (a.code == 429 || a.code == 503) && a.retryAfter == "" {
					t.Errorf("attacker's %d without Retry-After", a.code)
				}
				if a.code == 429 {
					time.Sleep(20 * time.Millisecond) // keeps this test's own CPU use down
				}
			}
		}()
	}
	var normal []attackAnswer
	deadline := time.Now().Add(6 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		normal = append(normal, attackGet(other, node.URL(fmt.Sprintf("/acme/photo.jpg?w=%d&fm=webp", 200+i))))
	}
	close(stop)
	wg.Wait()
	attackEnd := time.Now()

	codes, lat := map[int]int{}, []time.Duration{}
	for _, a := range normal {
		codes[a.code]++
		lat = append(lat, a.took)
		if a.err != nil || (a.code != 200 && a.code != 503) || a.took > 5*time.Second {
			t.Errorf("other client during the attack: %d %v after %v; want 200, or a fast 503", a.code, a.err, a.took)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("during the attack: attacker answers %v; other client %d requests %v, latency p50 %v max %v",
		attack, len(normal), codes, lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	if codes[200] == 0 {
		t.Errorf("the other client got no new variant during the attack")
	}

	// Once the attack stops, no backlog: a new variant is made at once.
	var after attackAnswer
	for i := 0; time.Since(attackEnd) < 10*time.Second; i++ {
		if after = attackGet(other, node.URL(fmt.Sprintf("/acme/photo.jpg?w=%d&fm=jpeg", 100+i))); after.code == 200 && after.took < time.Second {
			break
		}
	}
	t.Logf("after the attack: a new variant in %v, %v after the attack ended; RSS %.0f MB",
		after.took.Round(time.Millisecond), time.Since(attackEnd).Round(time.Millisecond), node.Metric(t, "process_resident_memory_bytes")/1e6)
	if after.code != 200 || after.took >= time.Second {
		t.Fatalf("10 s after the attack, new variants still wait: %d after %v", after.code, after.took)
	}
}
