package clustertest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

// shortPolicy makes every image of the test tenant stale two seconds after
// it was fetched (plus one second of stale-while-revalidate), and
// servable stale for an hour while the origin fails.
const shortPolicy = "public, max-age=2, stale-while-revalidate=1, stale-if-error=3600"

// staleAfter is when every variant fetched at one moment is past max-age
// and stale-while-revalidate under shortPolicy.
const staleAfter = 3*time.Second + 500*time.Millisecond

// originErrorWithin is how fast an uncached variant must be refused while
// the origin is dead.
const originErrorWithin = 2 * time.Second

// originStackCluster starts PostgreSQL, MinIO and the origin (tenant acme
// with shortPolicy), images warm/N.jpg and cold/N.jpg (n of each), and
// three edges on the origin.
func originStackCluster(t *testing.T, n int) (*testenv.OriginStack, *testenv.EdgeCluster) {
	t.Helper()
	origin := testenv.StartOriginStack(t, "--cache-control", shortPolicy)
	origin.CreateTenant(t, "acme")
	key := origin.EdgeKey(t)
	for i := range n {
		origin.Put(t, "acme", fmt.Sprintf("warm/%d.jpg", i), gradientJPEG(t, 600, 400, uint8(i)))
		origin.Put(t, "acme", fmt.Sprintf("cold/%d.jpg", i), gradientJPEG(t, 600, 400, uint8(100+i)))
	}
	c := testenv.StartEdgeCluster(t, testenv.EdgeClusterConfig{Nodes: 3, Origin: origin.URL,
		Args: []string{"--origin-key", key}})
	return origin, c
}

// timedAnswer is an answer and how long it took.
type timedAnswer struct {
	answer
	took time.Duration
}

// getAll requests every path through every node at once.
func getAll(nodes []*testenv.EdgeNode, paths []string) []timedAnswer {
	out := make([]timedAnswer, len(nodes)*len(paths))
	var wg sync.WaitGroup
	for i, n := range nodes {
		for j, p := range paths {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				a := get(n.URL(p))
				out[i*len(paths)+j] = timedAnswer{a, time.Since(start)}
			}()
		}
	}
	wg.Wait()
	return out
}

// TestOriginKilledCachedServedUncachedFailFastThenRecovers: with an http
// origin (PostgreSQL + MinIO + origin processes), variants are warmed and
// the origin is SIGKILLed. Every cached variant is still served by every
// node, fresh and then stale past max-age (stale-if-error); new variants
// of images whose originals are cached are made from them; variants of
// images no edge has seen answer 502 or 504 within originErrorWithin. The
// origin is started again on the same port and every edge serves new
// images again without a restart.
func TestOriginKilledCachedServedUncachedFailFastThenRecovers(t *testing.T) {
	const images = 4
	origin, c := originStackCluster(t, images)
	var cached, newOfWarm, cold []string
	for i := range images {
		for w := range 3 {
			cached = append(cached, fmt.Sprintf("/acme/warm/%d.jpg?w=%d", i, 100+10*w))
		}
		newOfWarm = append(newOfWarm, fmt.Sprintf("/acme/warm/%d.jpg?w=77", i))
		cold = append(cold, fmt.Sprintf("/acme/cold/%d.jpg?w=100", i))
	}
	for i, p := range cached {
		warm(t, c.Nodes[i%3], []string{p})
	}
	warmed := time.Now()
	origin.Kill()

	fresh := getAll(c.Nodes, cached)
	time.Sleep(time.Until(warmed.Add(staleAfter))) // the entries' age, not a synchronisation
	stale := getAll(c.Nodes, cached)
	fromOriginal := getAll(c.Nodes, newOfWarm)
	refused := getAll(c.Nodes, cold)

	var refusedLatency []time.Duration
	codes := map[int]int{}
	for _, a := range refused {
		refusedLatency = append(refusedLatency, a.took)
		codes[a.code]++
	}
	staleCount := 0
	for _, a := range stale {
		if a.cache == "STALE" {
			staleCount++
		}
	}

	restarted := time.Now()
	origin.Restart(t)
	originReady := time.Now()
	recovered, recoverErr := waitServed(c.Nodes, func(round int) string {
		return fmt.Sprintf("/acme/cold/%d.jpg?w=%d", round%images, 200+round)
	}, 60*time.Second)

	t.Logf("origin killed: cached variants served %d/%d fresh, %d/%d past max-age (%d marked STALE); "+
		"new variants of cached originals %d/%d; uncached variants %v (status: count) in p50 %s max %s; "+
		"origin restarted on its port: ready after %.2fs, every edge serves new images %.2fs after the restart began",
		ok(fresh), len(fresh), ok(stale), len(stale), staleCount, ok(fromOriginal), len(fromOriginal),
		codes, ms(quantile(refusedLatency, 0.5)), ms(quantile(refusedLatency, 1)), originReady.Sub(restarted).Seconds(), recovered.Sub(restarted).Seconds())

	for name, set := range map[string][]timedAnswer{"fresh cached": fresh, "stale cached": stale, "new variant of a cached original": fromOriginal} {
		for _, a := range set {
			if a.code != 200 {
				t.Errorf("%s while the origin is dead: %d %v %.80q", name, a.code, a.err, a.body)
			}
		}
	}
	if staleCount == 0 {
		t.Errorf("no cached variant was marked STALE %v after it was fetched", staleAfter)
	}
	for _, a := range refused {
		if (a.code != 502 && a.code != 504) || a.took > originErrorWithin {
			t.Errorf("uncached variant while the origin is dead: %d %v after %v, want 502 or 504 within %v",
				a.code, a.err, a.took, originErrorWithin)
		}
	}
	if recoverErr != nil {
		t.Error(recoverErr)
	}
}

// waitServed polls, every 100ms, each node for path(round) (a new variant
// per round) until every node answered 200 once, and returns when the
// last one did.
func waitServed(nodes []*testenv.EdgeNode, path func(round int) string, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	pending := map[*testenv.EdgeNode]bool{}
	for _, n := range nodes {
		pending[n] = true
	}
	for round := 0; ; round++ {
		for n := range pending {
			if a := get(n.URL(path(round))); a.code == 200 {
				delete(pending, n)
			}
		}
		if len(pending) == 0 {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%d edges still fail new images %v after the origin restarted", len(pending), timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ok counts the answers with status 200.
func ok(as []timedAnswer) int {
	n := 0
	for _, a := range as {
		if a.code == 200 {
			n++
		}
	}
	return n
}
