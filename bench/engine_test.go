package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func testConfig(targets ...string) Config {
	cfg := DefaultConfig()
	cfg.Targets = targets
	cfg.Connections = 8
	cfg.Duration = 0
	cfg.Timeout = 5 * time.Second
	return cfg
}

func smallSynthetic(t *testing.T) *Synthetic {
	t.Helper()
	sc := DefaultSyntheticConfig()
	sc.Images = 50
	sc.RevisitShare = 0.3
	wl, err := NewSynthetic(sc)
	if err != nil {
		t.Fatal(err)
	}
	return wl
}

func TestRunCountsMatchServer(t *testing.T) {
	for _, clientName := range []string{ClientFastHTTP, ClientNetHTTP} {
		t.Run(clientName, func(t *testing.T) {
			edge := startTestEdge(t)
			cfg := testConfig(edge.url)
			cfg.Client = clientName
			cfg.Requests = 3000
			cfg.MetricsURLs = []string{edge.url + "/metrics"}
			rep, err := Run(context.Background(), cfg, smallSynthetic(t))
			if err != nil {
				t.Fatal(err)
			}
			requests, hits, misses, notModified, conditional := edge.tally()
			if rep.Requests != 3000 || requests != 3000 || rep.Errors != 0 {
				t.Fatalf("report %d requests (%d errors), server saw %d; want 3000", rep.Requests, rep.Errors, requests)
			}
			if rep.Cache[CacheHit] != hits || rep.Cache[CacheMiss] != misses {
				t.Errorf("x-cache %v, server sent %d HIT %d MISS", rep.Cache, hits, misses)
			}
			if rep.NotModified != notModified || rep.Conditional != conditional || notModified == 0 {
				t.Errorf("304s %d conditional %d, server %d/%d (want some)", rep.NotModified, rep.Conditional, notModified, conditional)
			}
			if rep.Status["200"]+rep.Status["304"] != 3000 || rep.Bytes != rep.Status["200"]*int64(len(testBody)) {
				t.Errorf("status %v bytes %d", rep.Status, rep.Bytes)
			}
			wantRatio := float64(hits) / float64(hits+misses)
			if rep.HitRatio == nil || *rep.HitRatio != wantRatio {
				t.Errorf("hit ratio %v, want %v", rep.HitRatio, wantRatio)
			}
			m := rep.Metrics
			if m == nil || len(m.Errors) > 0 || m.OriginFetches != float64(misses) || m.Transforms != float64(misses) || m.EdgeRequests != 3000 {
				t.Errorf("metrics %+v, want %d origin fetches and transforms, 3000 requests", m, misses)
			}
			var text strings.Builder
			_ = rep.WriteText(&text)
			for _, want := range []string{"requests     3000", fmt.Sprintf("HIT %d", hits), fmt.Sprintf("MISS %d", misses), "origin fetches", "edge hit ratio"} {
				if !strings.Contains(text.String(), want) {
					t.Errorf("text report lacks %q:\n%s", want, text.String())
				}
			}
			if m != nil && (m.EdgeHitRatio == nil || *m.EdgeHitRatio != wantRatio || m.EdgeCache["hit"] != float64(hits)) {
				t.Errorf("edge cache %v ratio %v, want %d hits and ratio %v", m.EdgeCache, m.EdgeHitRatio, hits, wantRatio)
			}
		})
	}
}

func TestRunPercentiles(t *testing.T) {
	edge := startTestEdge(t)
	// Three fast requests to one slow: p50 is well inside the fast ones and
	// p90 inside the slow ones (half and half put p50 on the boundary,
	// where one request more or less flips it).
	reqs := []Request{{Path: "/sleep/1ms"}, {Path: "/sleep/1ms"}, {Path: "/sleep/1ms"}, {Path: "/sleep/100ms"}}
	wl, err := NewTrace("alternating", reqs)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(edge.url)
	cfg.Connections = 4
	cfg.Requests = 80
	rep, err := Run(context.Background(), cfg, wl)
	if err != nil {
		t.Fatal(err)
	}
	l := rep.Latency
	if l.P50 < 1 || l.P50 >= 100 {
		t.Errorf("p50 %.3fms, want in [1, 100) for three 1ms requests to one of 100ms", l.P50)
	}
	if l.P90 < 100 || l.P99 < 100 || l.Max < 100 || l.P90 > 1000 {
		t.Errorf("p90/p99/max %.3f/%.3f/%.3fms, want at least 100 (and p90 under 1000)", l.P90, l.P99, l.Max)
	}
	if l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.P999 || l.P999 > l.Max {
		t.Errorf("percentiles not monotonic: %+v", l)
	}
	sp := rep.Spectrum
	if len(sp) != len(SpectrumQuantiles) || sp[len(sp)-1].Ms != l.Max || sp[0].Ms < 1 {
		t.Errorf("spectrum %v, want min at least 1ms and max %v", sp, l.Max)
	}
	for i := 1; i < len(sp); i++ {
		if sp[i].Ms < sp[i-1].Ms {
			t.Errorf("spectrum not monotonic at q=%v: %v", sp[i].Quantile, sp)
		}
	}
}

func TestRunOpenLoopKeepsScheduleAndChargesStalls(t *testing.T) {
	edge := startTestEdge(t)
	edge.pauseFor = 300 * time.Millisecond
	// Request 20 stalls the server for 300ms; at 200/s about 60 requests
	// are scheduled during the stall and must be charged for their wait.
	reqs := make([]Request, 200)
	for i := range reqs {
		reqs[i].Path = "/x"
	}
	reqs[20].Path = "/pause"
	wl, _ := NewTrace("pause", reqs)
	cfg := testConfig(edge.url)
	cfg.Connections = 1
	cfg.Rate = 200
	cfg.Requests = 200
	rep, err := Run(context.Background(), cfg, wl)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 200 || rep.Mode != "open" {
		t.Fatalf("requests %d mode %s", rep.Requests, rep.Mode)
	}
	if rep.ElapsedSeconds < 0.99 {
		t.Errorf("200 requests at 200/s took %.3fs, want about 1s", rep.ElapsedSeconds)
	}
	if rep.Latency.P90 < 100 || rep.MaxSendLagMs < 200 {
		t.Errorf("p90 %.1fms, max send lag %.1fms: the stall's queued requests were not charged", rep.Latency.P90, rep.MaxSendLagMs)
	}
	if len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], "behind schedule") {
		t.Errorf("warnings %q, want one about the slipped schedule", rep.Warnings)
	}
}

func TestRunDurationBound(t *testing.T) {
	edge := startTestEdge(t)
	cfg := testConfig(edge.url)
	cfg.Duration = 300 * time.Millisecond
	cfg.Warmup = 300 * time.Millisecond
	rep, err := Run(context.Background(), cfg, smallSynthetic(t))
	if err != nil {
		t.Fatal(err)
	}
	requests, _, _, _, _ := edge.tally()
	if rep.ElapsedSeconds < 0.3 || rep.ElapsedSeconds > 0.3+cfg.Timeout.Seconds() {
		t.Errorf("elapsed %.3fs for a 300ms run", rep.ElapsedSeconds)
	}
	if rep.Requests == 0 || rep.Requests >= requests {
		t.Errorf("measured %d of %d requests: want the warmup's left out", rep.Requests, requests)
	}
}

func TestRunSendsTracePathsVerbatim(t *testing.T) {
	const odd = "/acme/a/../b//c%2Fd.jpg?w=1&w=2"
	for _, clientName := range []string{ClientFastHTTP, ClientNetHTTP} {
		edge := startTestEdge(t)
		wl, _ := NewTrace("odd", []Request{{Path: odd}})
		cfg := testConfig(edge.url)
		cfg.Client, cfg.Requests = clientName, 10
		if _, err := Run(context.Background(), cfg, wl); err != nil {
			t.Fatal(err)
		}
		edge.mu.Lock()
		got := edge.uris[odd]
		uris := fmt.Sprint(edge.uris)
		edge.mu.Unlock()
		if got != 10 {
			t.Errorf("%s: server saw %s, want %q 10 times", clientName, uris, odd)
		}
	}
}

func TestRunHead(t *testing.T) {
	for _, clientName := range []string{ClientFastHTTP, ClientNetHTTP} {
		edge := startTestEdge(t)
		cfg := testConfig(edge.url)
		cfg.Client, cfg.Method, cfg.Requests = clientName, "HEAD", 200
		rep, err := Run(context.Background(), cfg, smallSynthetic(t))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Responses != 200 || rep.Bytes != 0 || rep.Errors != 0 {
			t.Errorf("%s HEAD: %d responses, %d bytes, %d errors %v", clientName, rep.Responses, rep.Bytes, rep.Errors, rep.ErrorSamples)
		}
	}
}

func TestRunSpreadsOverTargets(t *testing.T) {
	a, b := startTestEdge(t), startTestEdge(t)
	cfg := testConfig(a.url, b.url)
	cfg.Requests = 1000
	if _, err := Run(context.Background(), cfg, smallSynthetic(t)); err != nil {
		t.Fatal(err)
	}
	na, _, _, _, _ := a.tally()
	nb, _, _, _, _ := b.tally()
	if na+nb != 1000 || na-nb > int64(cfg.Connections) || nb-na > int64(cfg.Connections) {
		t.Errorf("targets got %d and %d requests, want 1000 split evenly", na, nb)
	}
}

func TestRunRefusesRemoteTargets(t *testing.T) {
	cfg := testConfig("http://8.8.8.8:80")
	cfg.Requests = 1
	if _, err := Run(context.Background(), cfg, smallSynthetic(t)); !errors.Is(err, ErrRemoteTarget) {
		t.Fatalf("err = %v, want ErrRemoteTarget", err)
	}
	edge := startTestEdge(t)
	cfg = testConfig(edge.url)
	cfg.Requests = 1
	cfg.MetricsURLs = []string{"http://1.1.1.1:9080/metrics"}
	if _, err := Run(context.Background(), cfg, smallSynthetic(t)); !errors.Is(err, ErrRemoteTarget) {
		t.Fatalf("remote metrics URL: err = %v, want ErrRemoteTarget", err)
	}
	if n, _, _, _, _ := edge.tally(); n != 0 {
		t.Fatalf("%d requests sent before refusing", n)
	}
}

func TestRunCountsConnectionErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, clientName := range []string{ClientFastHTTP, ClientNetHTTP} {
		cfg := testConfig("http://" + addr)
		cfg.Client = clientName
		cfg.Connections = 2
		cfg.Requests = 20
		rep, err := Run(context.Background(), cfg, smallSynthetic(t))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Errors != 20 || rep.ErrorKinds[ErrKindRefused] != 20 || rep.Responses != 0 {
			t.Errorf("%s: errors %d kinds %v samples %v, want 20 refused", clientName, rep.Errors, rep.ErrorKinds, rep.ErrorSamples)
		}
		var text strings.Builder
		if err := rep.WriteText(&text); err != nil || !strings.Contains(text.String(), "refused 20") || !strings.Contains(text.String(), "100.0% of requests failed") {
			t.Errorf("%s: text report %q (%v) names neither the refusals nor the failure share", clientName, text.String(), err)
		}
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	edge := startTestEdge(t)
	cfg := testConfig(edge.url)
	cfg.Duration = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // cancel once the run is under way
		deadline := time.Now().Add(10 * time.Second)
		for n, _, _, _, _ := edge.tally(); n < 50 && time.Now().Before(deadline); n, _, _, _, _ = edge.tally() {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	rep, err := Run(ctx, cfg, smallSynthetic(t))
	if !errors.Is(err, context.Canceled) || rep == nil || rep.Requests == 0 {
		t.Fatalf("rep %v err %v: want a partial report and the context's error", rep, err)
	}
	if time.Since(start) > 20*time.Second {
		t.Fatalf("took %v to stop", time.Since(start))
	}
}

// closer accepts connections, reads a little and closes them unanswered.
func startCloser(t *testing.T) (url string, accepted *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = new(atomic.Int64)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			buf := make([]byte, 512)
			_, _ = c.Read(buf)
			c.Close()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return "http://" + ln.Addr().String(), accepted
}

func TestRunReportsServerResetsInsteadOfRetrying(t *testing.T) {
	for _, clientName := range []string{ClientFastHTTP, ClientNetHTTP} {
		url, accepted := startCloser(t)
		cfg := testConfig(url)
		cfg.Client, cfg.Connections, cfg.Requests = clientName, 2, 20
		rep, err := Run(context.Background(), cfg, smallSynthetic(t))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Errors != 20 || rep.ErrorKinds[ErrKindReset] != 20 {
			t.Errorf("%s: errors %v (%v), want 20 resets", clientName, rep.ErrorKinds, rep.ErrorSamples)
		}
		if n := accepted.Load(); n > 40 {
			t.Errorf("%s: %d connections for 20 requests: retried more than once each", clientName, n)
		}
	}
}
