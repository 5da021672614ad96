package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pixcdn/bench"
)

// soakConfig is one soak run. The environment sets it (make soak passes
// SOAK_DURATION and SOAK_OUT): SOAK_DURATION, SOAK_WARMUP, SOAK_RATE,
// SOAK_CONNECTIONS, SOAK_IMAGES, SOAK_OUT.
type soakConfig struct {
	duration time.Duration
	// warmup is when RSS baselines are taken and the hit ratio "after
	// warm-up" starts; a restarted process gets its own warmup.
	warmup      time.Duration
	rate        float64 // GET requests/s over the three edges (open loop)
	connections int     // most GET requests in flight per edge
	images      int     // Zipf images seeded, img-000000.jpg…
	interval    time.Duration
	uploadEvery time.Duration
	deleteEvery time.Duration
	deleteBound time.Duration // a deleted image is 404 on every edge within this
	purgeEvery  time.Duration
	// An RSS grew when its end exceeds its baseline by more than
	// rssTolerance of the baseline and by more than rssFloor bytes.
	rssTolerance float64
	rssFloor     int64
	out          string // directory for rss.csv, load.csv and summary.txt
}

func soakConfigFromEnv(t *testing.T) soakConfig {
	t.Helper()
	cfg := soakConfig{
		duration: 10 * time.Minute, rate: 60, connections: 3, images: 100,
		interval: 10 * time.Second, uploadEvery: 500 * time.Millisecond, deleteEvery: 10 * time.Second,
		deleteBound: 5 * time.Second, purgeEvery: 5 * time.Second,
		rssTolerance: 0.25, rssFloor: 32 << 20,
		out: filepath.Join(os.TempDir(), "pixcdn-soak-"+time.Now().Format("20060102-150405")),
	}
	durations := map[string]*time.Duration{"SOAK_DURATION": &cfg.duration, "SOAK_WARMUP": &cfg.warmup}
	for name, dst := range durations {
		if v := os.Getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				t.Fatalf("%s=%q: want a positive duration such as 10m", name, v)
			}
			*dst = d
		}
	}
	if cfg.warmup == 0 {
		cfg.warmup = min(2*time.Minute, cfg.duration/5)
	}
	if v := os.Getenv("SOAK_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || !(r > 0) {
			t.Fatalf("SOAK_RATE=%q: want GET requests/s over the three edges", v)
		}
		cfg.rate = r
	}
	ints := map[string]*int{"SOAK_CONNECTIONS": &cfg.connections, "SOAK_IMAGES": &cfg.images}
	for name, dst := range ints {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100000 {
				t.Fatalf("%s=%q: want a positive integer", name, v)
			}
			*dst = n
		}
	}
	if v := os.Getenv("SOAK_OUT"); v != "" {
		cfg.out = v
	}
	if cfg.duration < time.Minute {
		t.Fatalf("SOAK_DURATION=%s: want at least 1m", cfg.duration)
	}
	return cfg
}

// TestSoak is `make soak`: `pixcdn demo` (PostgreSQL, MinIO, the origin and
// three edges) under SOAK_DURATION of mixed work at once — Zipf GET load on
// every edge through the bench engine, uploads (new images by PUT and tus,
// replacements), deletes, purges by id, tag and prefix, and one edge killed
// with SIGKILL halfway (the demo restarts it) — while the RSS of every
// process is sampled every interval into rss.csv. It fails on any answer
// other than 200 or 304 to the load, any transport error outside the killed
// edge's downtime, any failed upload, delete or purge, a deleted image
// still served after deleteBound, or an RSS that grew past the tolerance
// after warm-up. Runs only with PIXCDN_SOAK=1. It writes rss.csv, load.csv
// (one row per interval), summary.txt and demo.log (the demo's output, warn
// and up) to SOAK_OUT.
func TestSoak(t *testing.T) {
	if os.Getenv("PIXCDN_SOAK") != "1" {
		t.Skip("the soak runs with PIXCDN_SOAK=1 (make soak)")
	}
	cfg := soakConfigFromEnv(t)
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		t.Fatal(err)
	}
	d := startDemoStack(t)
	defer d.stop(t)
	d.waitConverged(t)
	purgeToken, err := os.ReadFile(filepath.Join(d.cmd.Dir, "secrets", "purge-token"))
	if err != nil {
		t.Fatal(err)
	}
	var public, internal []string
	for i := range 3 {
		public = append(public, fmt.Sprintf("http://127.0.0.1:%d", d.base+i))
		internal = append(internal, fmt.Sprintf("http://127.0.0.1:%d", d.base+100+i))
	}
	origin := fmt.Sprintf("http://127.0.0.1:%d", d.base+300)
	writer, err := newSoakWriter(cfg, origin, public, internal, d.adminKey, strings.TrimSpace(string(purgeToken)))
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	csvFile, err := createRSSCSV(filepath.Join(cfg.out, "rss.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer csvFile.Close()
	t.Logf("soak: %s, seeded %d images; following %s/rss.csv", cfg.duration, cfg.images, cfg.out)

	start := time.Now()
	until := start.Add(cfg.duration)
	ctx, stopWriters := context.WithCancel(context.Background())
	var samplesMu sync.Mutex
	var samples []rssSample
	takeSample := func() {
		s := sampleRSS(d.cmd.Process.Pid, d.base+100, origin, time.Since(start))
		samplesMu.Lock()
		defer samplesMu.Unlock()
		samples = append(samples, s)
		if err := csvFile.write(rssCSVRow(s)); err != nil {
			t.Errorf("rss.csv: %v", err)
		}
	}
	load := &soakLoad{cfg: cfg, public: public, internal: internal, start: start}
	var workers, loadDone sync.WaitGroup
	loadDone.Go(func() { load.run(until) })
	workers.Go(func() {
		takeSample()
		tick := time.NewTicker(cfg.interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				takeSample()
			}
		}
	})
	workers.Go(func() { writer.runUploads(ctx, rand.New(rand.NewPCG(1, 1))) })
	workers.Go(func() { writer.runDeletes(ctx) })
	workers.Go(func() { writer.runPurges(ctx, rand.New(rand.NewPCG(1, 2))) })

	time.Sleep(time.Until(start.Add(cfg.duration / 2)))
	restart := killAndAwaitEdge(t, d, 1)
	time.Sleep(time.Until(until))
	loadDone.Wait()
	stopWriters()
	workers.Wait()
	takeSample()

	sum := soakSummary(cfg, d, start, load.intervals, samples, restart, writer, internal)
	fmt.Print(sum.text)
	if err := os.WriteFile(filepath.Join(cfg.out, "summary.txt"), []byte(sum.text), 0o644); err != nil {
		t.Error(err)
	}
	if err := writeLoadCSV(filepath.Join(cfg.out, "load.csv"), load.intervals, start, restart); err != nil {
		t.Error(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.out, "demo.log"), []byte(d.output.String()), 0o644); err != nil {
		t.Error(err)
	}
	for _, f := range sum.failures {
		t.Error(f)
	}
}

// killAndAwaitEdge kills the demo's edge number edge+1 with SIGKILL and
// waits for the demo to restart it: its /readyz answering 200 from a new
// process, then every edge seeing three members again.
func killAndAwaitEdge(t *testing.T, d *demoStackUnderTest, edge int) restartWindow {
	t.Helper()
	name := "edge" + strconv.Itoa(edge+1)
	w := restartWindow{edge: edge}
	victim := demoChild(t, d, "edge", name)
	if victim == 0 {
		t.Errorf("no %s process below the demo to kill", name)
		return w
	}
	w.killed = time.Now()
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Errorf("kill %s: %v", name, err)
		return restartWindow{edge: edge}
	}
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", d.base+100+edge)
	for deadline := w.killed.Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if pid := demoChild(t, d, "edge", name); pid != 0 && pid != victim && fetchStatus(t, readyz) == http.StatusOK {
			w.ready = time.Now()
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%s did not answer %s within 60s of SIGKILL", name, readyz)
			w.ready = time.Now()
			return w
		}
	}
	t.Logf("%s killed at %s, ready again after %s", name, w.killed.Format(time.TimeOnly), w.ready.Sub(w.killed).Round(10*time.Millisecond))
	return w
}

// soakResult is the printed summary and the reasons the soak failed.
type soakResult struct {
	text     string
	failures []string
}

func soakSummary(cfg soakConfig, d *demoStackUnderTest, start time.Time, intervals []loadInterval, samples []rssSample,
	restart restartWindow, w *soakWriter, internal []string) soakResult {
	var b bytes.Buffer
	var failures []string
	failf := func(format string, args ...any) { failures = append(failures, fmt.Sprintf(format, args...)) }
	elapsed := time.Since(start)
	fmt.Fprintf(&b, "\npixcdn soak: %s of `pixcdn demo` (PostgreSQL, MinIO, origin, 3 edges) on 127.0.0.1:%d; files in %s\n",
		cfg.duration, d.base, cfg.out)
	fmt.Fprintf(&b, "load: Zipf (skew %.1f) over %d images x %d variants, %g GET/s open loop over 3 edges (at most %d in flight each), %s intervals\n",
		bench.DefaultSyntheticConfig().ImageSkew, cfg.images, len(bench.DefaultVariants()), cfg.rate, cfg.connections, cfg.interval)

	all := tallyLoad(intervals, restart, time.Time{})
	afterWarmup := tallyLoad(intervals, restart, start.Add(cfg.warmup))
	fmt.Fprintf(&b, "GET: %d requests (%.1f/s): 200 %d, 304 %d; other statuses: %s; connection errors: %s\n",
		all.requests, float64(all.requests)/elapsed.Seconds(), all.ok, all.notModified, sortedCounts(all.unexpectedStatus), sortedCounts(all.connErrors))
	if n := sum(all.restartErrors); n > 0 {
		fmt.Fprintf(&b, "  edge%d's own connection errors while it was killed and restarting (expected): %s\n", restart.edge+1, sortedCounts(all.restartErrors))
	}
	for _, s := range all.errSamples {
		fmt.Fprintf(&b, "  error: %s\n", s)
	}
	for _, e := range all.runErrs {
		fmt.Fprintf(&b, "  bench: %s\n", e)
	}
	if n := sum(all.unexpectedStatus); n > 0 {
		failf("%d GET answers other than 200 or 304: %s", n, sortedCounts(all.unexpectedStatus))
	}
	if n := sum(all.connErrors); n > 0 {
		failf("%d GET connection errors outside the restart: %s", n, sortedCounts(all.connErrors))
	}
	if len(all.runErrs) > 0 {
		failf("the load could not run: %s", all.runErrs[0])
	}
	c := all.counters
	fmt.Fprintf(&b, "hit ratio (edges' counters: hit+stale+revalidated over those+miss): %.3f over the run, %.3f after warm-up (%s); edges counted %.0f hit, %.0f miss, %.0f stale, %.0f peer; %.0f transforms, %.0f origin fetches\n",
		c.hitRatio(), afterWarmup.counters.hitRatio(), cfg.warmup, c["hit"], c["miss"], c["stale"], c["peer"], c[counterTransforms], c[counterOriginFetches])

	w.mu.Lock()
	fmt.Fprintf(&b, "uploads: %d new by PUT, %d new by tus, %d replacements; purges: %s\n",
		w.newByPut, w.newByTus, w.replace, sortedIntCounts(w.purged))
	fmt.Fprintf(&b, "deletes: %d; a deleted image was last served %s after its delete was acknowledged (bound %s); every edge had answered 404 %s after it at most (%d 404s seen)\n",
		w.deleted, w.latestServedAfterDelete.Round(time.Millisecond), cfg.deleteBound, w.slowestDeleteSeen.Round(time.Millisecond), w.gone404)
	fmt.Fprintf(&b, "slowest: %s\n", slowestOps(w.slowest))
	fmt.Fprintf(&b, "upload, delete and purge failures: %d\n", w.failureCount)
	for _, f := range w.failures {
		fmt.Fprintf(&b, "  failure: %s\n", f)
	}
	if w.failureCount > 0 {
		failf("%d uploads, deletes or purges failed, first: %s", w.failureCount, w.failures[0])
	}
	w.mu.Unlock()

	fmt.Fprintf(&b, "purge lag, commit to applied, per edge since its start: %s\n", purgeLags(internal))
	if restart.killed.IsZero() {
		failf("no edge was restarted")
	} else {
		fmt.Fprintf(&b, "edge%d: SIGKILL at %s, /readyz 200 again %s later (the demo restarted it)\n",
			restart.edge+1, fmtMinutes(restart.killed.Sub(start)), restart.ready.Sub(restart.killed).Round(10*time.Millisecond))
	}

	if len(samples) > 0 {
		var at []time.Duration
		for _, f := range []float64{0.1, 0.2, 0.5, 0.8, 1} {
			at = append(at, time.Duration(f*float64(cfg.duration)))
		}
		fmt.Fprintf(&b, "RSS (VmRSS; postgres: summed over its processes; postgres-pss: their summed Pss; edgeN mem: the edge's memory-tier bytes):\n")
		rssTable(&b, samples, at)
		fmt.Fprintf(&b, "RSS after warm-up, baseline -> end (grew: more than +%.0f%% and +%d MiB):\n", cfg.rssTolerance*100, cfg.rssFloor>>20)
		for _, v := range judgeRSS(samples, cfg.warmup, cfg.rssTolerance, cfg.rssFloor) {
			fmt.Fprintf(&b, "  %-13s %s\n", v.name, v.describe())
			if v.grew && soakJudged(v.name) {
				failf("%s RSS grew from %.1f MiB at %s to %.1f MiB at the end", v.name, mib(v.baseline), fmtMinutes(v.baselineAt), mib(v.end))
			}
		}
	}
	logErrors, logWarnings := demoLogProblems(d.output.String())
	fmt.Fprintf(&b, "demo log (level warn and up): %s\n", describeLogProblems(logErrors, logWarnings))
	if len(failures) == 0 {
		fmt.Fprintf(&b, "RESULT: PASS\n")
	} else {
		fmt.Fprintf(&b, "RESULT: FAIL\n")
		for _, f := range failures {
			fmt.Fprintf(&b, "  - %s\n", f)
		}
	}
	return soakResult{text: b.String(), failures: failures}
}

func (v rssVerdict) describe() string {
	var restarted string
	if v.restartedAt > 0 {
		restarted = fmt.Sprintf(" (new process first sampled at %s)", fmtMinutes(v.restartedAt))
	}
	if !v.judged {
		return "not judged: absent at the end or too little time after its (re)start" + restarted
	}
	verdict := "flat"
	if v.grew {
		verdict = "GREW"
	}
	if !soakJudged(v.name) {
		verdict += " (reported, not judged)"
	}
	mem := ""
	if v.name != "postgres-pss" {
		mem = fmt.Sprintf("; anonymous %.1f -> %.1f MiB", mib(v.anonBase), mib(v.anonEnd))
	}
	if slices.Contains(goHeapProcesses, v.name) {
		mem += fmt.Sprintf("; Go heap %.1f -> %.1f MiB", mib(v.goHeapBase), mib(v.goHeapEnd))
	}
	if strings.HasPrefix(v.name, "edge") {
		mem += fmt.Sprintf("; memory tier %.1f -> %.1f MiB", mib(v.memTierBase), mib(v.memTierEnd))
	}
	slope := "n/a"
	if !math.IsNaN(v.slopeMiBPerMin) {
		slope = fmt.Sprintf("%+.2f MiB/min", v.slopeMiBPerMin)
	}
	return fmt.Sprintf("%7.1f -> %7.1f MiB (%s -> end, %+.1f%%), slope %s%s: %s%s",
		mib(v.baseline), mib(v.end), fmtMinutes(v.baselineAt), 100*float64(v.end-v.baseline)/float64(v.baseline), slope, mem, verdict, restarted)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func sortedIntCounts(m map[string]int) string {
	c := map[string]int64{}
	for k, v := range m {
		c[k] = int64(v)
	}
	return sortedCounts(c)
}

func slowestOps(m map[string]time.Duration) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %s", k, m[k].Round(time.Millisecond)))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// demoLogProblems counts the demo's ERROR and WARN lines by message.
func demoLogProblems(out string) (errs, warnings map[string]int) {
	errs, warnings = map[string]int{}, map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		var m map[string]int
		switch {
		case strings.Contains(line, "level=ERROR"):
			m = errs
		case strings.Contains(line, "level=WARN"):
			m = warnings
		default:
			continue
		}
		m[logMessage(line)]++
	}
	return errs, warnings
}

// logMessage is the child's name (the supervisor's prefix) and the msg of
// a text log line.
func logMessage(line string) string {
	prefix, _, _ := strings.Cut(line, " ")
	if strings.HasPrefix(prefix, "time=") {
		prefix = "demo" // the demo's own lines carry no child's name
	}
	_, rest, ok := strings.Cut(line, "msg=")
	if !ok {
		return line
	}
	if strings.HasPrefix(rest, `"`) {
		if end := strings.Index(rest[1:], `"`); end >= 0 {
			return prefix + " " + rest[1:end+1]
		}
	}
	msg, _, _ := strings.Cut(rest, " ")
	return prefix + " " + msg
}

func describeLogProblems(errs, warnings map[string]int) string {
	if len(errs)+len(warnings) == 0 {
		return "none"
	}
	var parts []string
	for _, set := range []struct {
		level string
		m     map[string]int
	}{{"ERROR", errs}, {"WARN", warnings}} {
		for _, k := range slices.Sorted(maps.Keys(set.m)) {
			parts = append(parts, fmt.Sprintf("\n  %s %dx %s", set.level, set.m[k], k))
		}
	}
	return strings.Join(parts, "")
}
