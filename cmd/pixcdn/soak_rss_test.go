package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pixcdn/bench"
)

// soakProcesses are the processes whose memory the soak follows, in the
// order of the CSV columns: the stores, the origin, the three edges, the
// demo supervising them and the test process itself (the load tool).
// "postgres" is the VmRSS summed over PostgreSQL's processes, which counts
// the shared buffers once per process that touched them; "postgres-pss" is
// the sum of their proportional set sizes (Pss of /proc/PID/smaps_rollup),
// which counts every page once.
var soakProcesses = []string{"postgres", "postgres-pss", "minio", "origin", "edge1", "edge2", "edge3", "demo", "soak"}

// goHeapProcesses are those whose Go heap the soak reads from /metrics.
var goHeapProcesses = []string{"origin", "edge1", "edge2", "edge3"}

// soakJudged says which series the RSS tolerance applies to: the stack, not
// the demo's supervisor or the load tool, and PostgreSQL by its PSS.
func soakJudged(name string) bool { return name != "demo" && name != "soak" && name != "postgres" }

// rssSample is one reading of every process, taken at elapsed since the
// soak started. A process absent at that moment (an edge being restarted)
// has no entry.
type rssSample struct {
	elapsed time.Duration
	rss     map[string]int64 // bytes, PostgreSQL summed over its processes
	anon    map[string]int64 // the anonymous part of rss (RssAnon): heaps, not mapped files
	ident   map[string]int   // the pid (PostgreSQL: its postmaster's), to tell restarts apart
	procs   int              // PostgreSQL processes summed
	memTier map[string]int64 // edge name → pixcdn_cache_bytes{tier="memory"}
	goHeap  map[string]int64 // edges and origin: go_memstats_heap_inuse_bytes
}

// sampleRSS reads VmRSS of every process below the demo (pid demo), of the
// demo and of this process, each edge's memory-tier bytes and Go heap from
// its /metrics (internal ports internalBase+0..2) and the origin's Go heap
// (origin's /metrics).
func sampleRSS(demo int, internalBase int, origin string, elapsed time.Duration) rssSample {
	s := rssSample{elapsed: elapsed, rss: map[string]int64{}, anon: map[string]int64{}, ident: map[string]int{},
		memTier: map[string]int64{}, goHeap: map[string]int64{}}
	add := func(name string, pid int) {
		rss, anon, err := vmRSS(pid)
		if err != nil {
			return // exited meanwhile
		}
		s.rss[name] += rss
		s.anon[name] += anon
		if name != "postgres" {
			s.ident[name] = pid
			return
		}
		s.procs++
		if pss, err := smapsPSS(pid); err == nil {
			s.rss["postgres-pss"] += pss
		}
		if parentPid(pid) == demo { // the postmaster; its backends come and go
			s.ident["postgres"], s.ident["postgres-pss"] = pid, pid
		}
	}
	add("demo", demo)
	add("soak", os.Getpid())
	for _, pid := range descendants(demo) {
		if name := soakProcessName(pid); name != "" {
			add(name, pid)
		}
	}
	client := &http.Client{Timeout: 5 * time.Second}
	for i := range 3 {
		name := "edge" + strconv.Itoa(i+1)
		if m, ok := processMetrics(client, fmt.Sprintf("http://127.0.0.1:%d/metrics", internalBase+i)); ok {
			s.memTier[name], s.goHeap[name] = m.memTier, m.goHeap
		}
	}
	if m, ok := processMetrics(client, origin+"/metrics"); ok {
		s.goHeap["origin"] = m.goHeap
	}
	return s
}

// soakProcessName names a process of the demo's stack, or "" for one the
// soak does not follow (a shell, an initdb).
func soakProcessName(pid int) string {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return ""
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	switch {
	case strings.TrimSpace(string(comm)) == "postgres":
		return "postgres"
	case filepath.Base(args[0]) == "minio":
		return "minio"
	case len(args) > 1 && args[1] == "origin":
		return "origin"
	case len(args) > 1 && args[1] == "edge":
		if i := slices.Index(args, "--name"); i >= 0 && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// vmRSS is the resident set size of pid and its anonymous part in bytes
// (VmRSS and RssAnon of /proc/PID/status).
func vmRSS(pid int) (rss, anon int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() && found < 2 {
		name, value, _ := strings.Cut(sc.Text(), ":")
		kb, perr := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch {
		case name == "VmRSS" && perr == nil:
			rss, found = kb<<10, found+1
		case name == "RssAnon" && perr == nil:
			anon, found = kb<<10, found+1
		}
	}
	if found < 2 {
		return 0, 0, fmt.Errorf("no VmRSS or RssAnon in /proc/%d/status", pid)
	}
	return rss, anon, nil
}

// parentPid is pid's parent (from /proc/PID/stat), 0 if it cannot be read.
func parentPid(pid int) int {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// pid (comm) state ppid …; comm may contain spaces and parentheses.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// smapsPSS is the proportional set size of pid in bytes (Pss of
// /proc/PID/smaps_rollup).
func smapsPSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no Pss in /proc/%d/smaps_rollup", pid)
}

// memoryMetrics are what a process's /metrics says about its memory.
type memoryMetrics struct {
	memTier int64 // pixcdn_cache_bytes{tier="memory"} (edges)
	goHeap  int64 // go_memstats_heap_inuse_bytes
}

// processMetrics reads memoryMetrics from a /metrics URL; false when it
// does not answer.
func processMetrics(client *http.Client, url string) (memoryMetrics, bool) {
	resp, err := client.Get(url)
	if err != nil {
		return memoryMetrics{}, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return memoryMetrics{}, false
	}
	sums, err := bench.SumMetrics(io.LimitReader(resp.Body, 16<<20), "pixcdn_cache_bytes", "go_memstats_heap_inuse_bytes")
	if err != nil {
		return memoryMetrics{}, false
	}
	return memoryMetrics{memTier: int64(sums[`pixcdn_cache_bytes{tier="memory"}`]), goHeap: int64(sums["go_memstats_heap_inuse_bytes"])}, true
}

// rssCSVHeader and rssCSVRow write samples as CSV: KiB per process, the
// number of PostgreSQL processes, each edge's memory-tier KiB; an empty
// cell where a process was absent.
func rssCSVHeader() []string {
	h := []string{"elapsed_s"}
	for _, p := range soakProcesses {
		if p == "postgres-pss" {
			h = append(h, "postgres_pss_kib")
		} else {
			h = append(h, p+"_rss_kib")
		}
	}
	for _, p := range soakProcesses {
		if p != "postgres-pss" {
			h = append(h, p+"_anon_kib")
		}
	}
	h = append(h, "postgres_processes")
	for i := range 3 {
		h = append(h, fmt.Sprintf("edge%d_memory_tier_kib", i+1))
	}
	for _, p := range goHeapProcesses {
		h = append(h, p+"_go_heap_inuse_kib")
	}
	return h
}

func rssCSVRow(s rssSample) []string {
	row := []string{strconv.Itoa(int(s.elapsed.Round(time.Second) / time.Second))}
	for _, p := range soakProcesses {
		row = append(row, kibCell(s.rss, p))
	}
	for _, p := range soakProcesses {
		if p != "postgres-pss" {
			row = append(row, kibCell(s.anon, p))
		}
	}
	row = append(row, strconv.Itoa(s.procs))
	for i := range 3 {
		row = append(row, kibCell(s.memTier, "edge"+strconv.Itoa(i+1)))
	}
	for _, p := range goHeapProcesses {
		row = append(row, kibCell(s.goHeap, p))
	}
	return row
}

func kibCell(m map[string]int64, key string) string {
	v, ok := m[key]
	if !ok {
		return ""
	}
	return strconv.FormatInt(v>>10, 10)
}

// rssCSV appends rows to a CSV file, flushing each so the file can be
// followed while the soak runs.
type rssCSV struct {
	f *os.File
	w *csv.Writer
}

func createRSSCSV(path string) (*rssCSV, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	c := &rssCSV{f: f, w: csv.NewWriter(f)}
	return c, c.write(rssCSVHeader())
}

func (c *rssCSV) write(row []string) error {
	if err := c.w.Write(row); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}

func (c *rssCSV) Close() error { return c.f.Close() }

// rssVerdict judges one process's memory after warm-up.
type rssVerdict struct {
	name string
	// baseline is the first sample at least warmup after both the soak's
	// start and the start of the process's last incarnation; judged is
	// false when the process has no such sample at least warmup before
	// the end (restarted too late), or was absent at the end.
	judged                  bool
	baselineAt              time.Duration
	baseline, end           int64   // bytes
	anonBase, anonEnd       int64   // their anonymous parts
	slopeMiBPerMin          float64 // least squares over the samples from baseline to end
	memTierBase, memTierEnd int64   // edges: memory-tier bytes at baseline and end
	goHeapBase, goHeapEnd   int64   // edges and origin: Go heap in use at baseline and end
	grew                    bool    // end exceeds baseline by more than the tolerance
	restartedAt             time.Duration
}

// judgeRSS compares each process's RSS at its baseline with the end. A
// process grew when its end RSS exceeds its baseline by more than
// tolerance (a fraction of the baseline) and by more than floor bytes.
func judgeRSS(samples []rssSample, warmup time.Duration, tolerance float64, floor int64) []rssVerdict {
	var out []rssVerdict
	if len(samples) == 0 {
		return out
	}
	last := samples[len(samples)-1]
	for _, name := range soakProcesses {
		v := rssVerdict{name: name}
		id, present := last.ident[name]
		if !present {
			out = append(out, v)
			continue
		}
		// The last incarnation starts after the last sample showing another pid.
		start := 0
		for i, s := range samples {
			if other, ok := s.ident[name]; !ok || other != id {
				start = i + 1
			}
		}
		from := warmup
		if start > 0 {
			v.restartedAt = samples[start].elapsed
			from = samples[start].elapsed + warmup
		}
		b := -1
		for i := start; i < len(samples); i++ {
			if samples[i].elapsed >= from {
				b = i
				break
			}
		}
		if b < 0 || last.elapsed-samples[b].elapsed < warmup {
			out = append(out, v)
			continue
		}
		v.judged, v.baselineAt = true, samples[b].elapsed
		v.baseline, v.end = samples[b].rss[name], last.rss[name]
		v.anonBase, v.anonEnd = samples[b].anon[name], last.anon[name]
		v.memTierBase, v.memTierEnd = samples[b].memTier[name], last.memTier[name]
		v.goHeapBase, v.goHeapEnd = samples[b].goHeap[name], last.goHeap[name]
		v.slopeMiBPerMin = rssSlope(samples[b:], name)
		growth := v.end - v.baseline
		v.grew = float64(growth) > tolerance*float64(v.baseline) && growth > floor
		out = append(out, v)
	}
	return out
}

// rssSlope fits RSS against time by least squares, in MiB per minute.
func rssSlope(samples []rssSample, name string) float64 {
	var n, sx, sy, sxx, sxy float64
	for _, s := range samples {
		rss, ok := s.rss[name]
		if !ok {
			continue
		}
		x, y := s.elapsed.Minutes(), float64(rss)/(1<<20)
		n++
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	if d := n*sxx - sx*sx; n >= 2 && d != 0 {
		return (n*sxy - sx*sy) / d
	}
	return math.NaN()
}

// rssTable prints RSS in MiB per process at the given moments (the sample
// nearest each), one row per process.
func rssTable(w *bytes.Buffer, samples []rssSample, at []time.Duration) {
	fmt.Fprintf(w, "  %-13s", "RSS MiB")
	for _, a := range at {
		fmt.Fprintf(w, " %8s", fmtMinutes(a))
	}
	fmt.Fprintln(w)
	for _, name := range soakProcesses {
		rssRow(w, name, samples, at, func(s rssSample) (int64, bool) { b, ok := s.rss[name]; return b, ok })
	}
	for _, name := range goHeapProcesses {
		rssRow(w, name+" heap", samples, at, func(s rssSample) (int64, bool) { b, ok := s.goHeap[name]; return b, ok })
	}
	for i := range 3 {
		name := "edge" + strconv.Itoa(i+1)
		rssRow(w, name+" mem", samples, at, func(s rssSample) (int64, bool) { b, ok := s.memTier[name]; return b, ok })
	}
}

// rssRow prints one row of rssTable: label, then the MiB value reads from
// the sample nearest each moment, "-" where it has none.
func rssRow(w *bytes.Buffer, label string, samples []rssSample, at []time.Duration, value func(rssSample) (int64, bool)) {
	fmt.Fprintf(w, "  %-13s", label)
	for _, a := range at {
		if b, ok := value(nearestSample(samples, a)); ok {
			fmt.Fprintf(w, " %8.1f", float64(b)/(1<<20))
		} else {
			fmt.Fprintf(w, " %8s", "-")
		}
	}
	fmt.Fprintln(w)
}

func nearestSample(samples []rssSample, at time.Duration) rssSample {
	best := samples[0]
	for _, s := range samples {
		if (s.elapsed - at).Abs() < (best.elapsed - at).Abs() {
			best = s
		}
	}
	return best
}

// fmtMinutes prints a duration as minutes, "2m" or "0.5m".
func fmtMinutes(d time.Duration) string {
	return strconv.FormatFloat(math.Round(d.Minutes()*10)/10, 'f', -1, 64) + "m"
}

func TestRSSTablePrintsEveryRow(t *testing.T) {
	sample := rssSample{rss: map[string]int64{}, goHeap: map[string]int64{}, memTier: map[string]int64{"edge1": 3 << 20}}
	for _, name := range soakProcesses {
		sample.rss[name] = 100 << 20
	}
	var b bytes.Buffer
	rssTable(&b, []rssSample{sample}, []time.Duration{0})
	out := b.String()
	if !strings.Contains(out, "edge1 mem") || !strings.Contains(out, "3.0") || !strings.Contains(out, "100.0") {
		t.Fatalf("table:\n%s", out)
	}
	if want := 1 + len(soakProcesses) + len(goHeapProcesses) + 3; strings.Count(out, "\n") != want {
		t.Fatalf("%d lines, want %d:\n%s", strings.Count(out, "\n"), want, out)
	}
	if !strings.Contains(out, "origin heap          -") {
		t.Fatalf("a missing value is not shown as -:\n%s", out)
	}
}
