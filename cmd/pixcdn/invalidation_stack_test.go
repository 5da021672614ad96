package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pixcdn/contract"
	"pixcdn/internal/localserver"
	"pixcdn/internal/testenv"
	originclient "pixcdn/origin/client"
)

// invalidationStack is the demo's topology (durable PostgreSQL, MinIO, one
// origin pushing to three edges joined by gossip, every edge following the
// origin's feed) built from processes a test can kill and start one by one,
// which the demo's supervisor does not allow.
type invalidationStack struct {
	origin   *originProcessUnderTest
	edges    *testenv.EdgeCluster
	adminKey string
	events   *originclient.Client // the feed, read as an edge reads it
}

// invalidationTenant holds the images the invalidation tests change.
const invalidationTenant = "inv"

// startInvalidationStack starts PostgreSQL (fsync on, as in the demo) and
// MinIO, the origin, a tenant and an edge key, then three edges, and
// restarts the origin pushing to them. It returns when every edge applies
// a change pushed by the origin and read from its feed.
func startInvalidationStack(t *testing.T) *invalidationStack {
	t.Helper()
	bin := testenv.EdgeBinary(t)
	// Not t.TempDir: its 0700 parent would keep PostgreSQL's user out.
	dir, err := os.MkdirTemp("", "pixcdn-invalidation-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pg, err := localserver.StartPostgres(ctx, localserver.PostgresConfig{Dir: filepath.Join(dir, "postgres"), Durable: true})
	if err != nil {
		testenv.Unavailable(t, "PostgreSQL", err)
	}
	t.Cleanup(func() { pg.Stop(10 * time.Second) })
	minio, err := localserver.StartMinIO(ctx, localserver.MinIOConfig{Dir: filepath.Join(dir, "minio"), AccessKey: "pixcdn", SecretKey: "invalidation-secret"})
	if err != nil {
		testenv.Unavailable(t, "MinIO", err)
	}
	t.Cleanup(func() { minio.Stop(10 * time.Second) })

	port, err := localserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &invalidationStack{adminKey: "invalidation-admin-key-0123456789"}
	s.origin = &originProcessUnderTest{
		bin: bin, addr: fmt.Sprintf("127.0.0.1:%d", port), logPath: filepath.Join(dir, "origin.log"),
		env: []string{"PIXCDN_ORIGIN_ADMIN_KEY=" + s.adminKey},
		args: []string{"origin", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--postgres", pg.DSN("postgres"),
			"--s3", fmt.Sprintf("http://%s:%s@%s/pixcdn", minio.AccessKey, minio.SecretKey, minio.Endpoint),
			"--log-format", "json", "--orphan-sweep", "0", "--log-level", "debug"},
	}
	t.Cleanup(func() {
		s.origin.stop(10 * time.Second)
		if t.Failed() {
			s.origin.dumpLog(t)
		}
	})
	s.origin.start(t)
	s.origin.waitReady(t)
	s.call(t, http.MethodPost, "/v1/tenants", []byte(`{"id":"`+invalidationTenant+`"}`), http.StatusCreated)
	var key struct{ Key string }
	if err := json.Unmarshal(s.call(t, http.MethodPost, "/v1/keys", []byte(`{"role":"edge"}`), http.StatusCreated), &key); err != nil || key.Key == "" {
		t.Fatalf("edge key: %v %q", err, key.Key)
	}
	cfg := originclient.DefaultConfig()
	cfg.BaseURL, cfg.Key = s.origin.url(), key.Key
	if s.events, err = originclient.New(cfg); err != nil {
		t.Fatal(err)
	}

	s.edges = testenv.StartEdgeCluster(t, testenv.EdgeClusterConfig{
		Nodes: 3, Origin: s.origin.url(), Args: []string{"--origin-key", key.Key, "--log-format", "json"},
	})
	var internal []string
	for _, n := range s.edges.Nodes {
		internal = append(internal, "http://"+n.Internal)
	}
	s.origin.stop(10 * time.Second)
	s.origin.args = append(s.origin.args, "--edges", strings.Join(internal, ","), "--purge-token", testenv.EdgePurgeToken)
	s.origin.start(t)
	s.origin.waitReady(t)

	// A first change, applied everywhere, shows that pushes and feeds flow.
	after := s.lastSeq(t)
	s.put(t, "warmup.png", tinyPNG(0))
	s.waitApplied(t, s.waitEvents(t, after, 1), 60*time.Second)
	return s
}

// call sends an admin request to the origin and fails unless it answers want.
func (s *invalidationStack) call(t *testing.T, method, path string, body []byte, want int) []byte {
	t.Helper()
	code, answer, err := s.try(method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if code != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, code, bytes.TrimSpace(answer), want)
	}
	return answer
}

// try sends an admin request to the origin once.
func (s *invalidationStack) try(method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, s.origin.url()+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.adminKey)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	return resp.StatusCode, answer, err
}

// put stores image as publicID in the test tenant.
func (s *invalidationStack) put(t *testing.T, publicID string, image []byte) {
	t.Helper()
	path := "/v1/" + invalidationTenant + "/images/" + publicID
	code, answer, err := s.try(http.MethodPut, path, image)
	if err != nil || (code != http.StatusOK && code != http.StatusCreated) {
		t.Fatalf("PUT %s: %v %d %s", path, err, code, bytes.TrimSpace(answer))
	}
}

// lastSeq is the origin feed's current end.
func (s *invalidationStack) lastSeq(t *testing.T) int64 {
	t.Helper()
	after := int64(0)
	for {
		evs, err := s.events.Events(context.Background(), after, 0)
		if err != nil {
			t.Fatalf("origin's event feed: %v", err)
		}
		if len(evs) == 0 {
			return after
		}
		after = evs[len(evs)-1].Seq
	}
}

// waitEvents reads the origin's feed after position after until it holds
// at least n events, and returns all the events it holds then.
func (s *invalidationStack) waitEvents(t *testing.T, after int64, n int) []contract.Event {
	t.Helper()
	var seqs []contract.Event
	deadline := time.Now().Add(60 * time.Second)
	for wait := time.Duration(0); ; wait = time.Second {
		evs, err := s.events.Events(context.Background(), after, wait)
		if err != nil {
			t.Fatalf("origin's event feed: %v", err)
		}
		for _, ev := range evs {
			seqs, after = append(seqs, ev), ev.Seq
		}
		if len(evs) == 0 && len(seqs) >= n {
			return seqs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the origin's feed holds %d events, want %d within 60s", len(seqs), n)
		}
	}
}

// appliedEvent is an edge's first application of one origin event, from
// its log.
type appliedEvent struct {
	ID   int64         `json:"event"` // the outbox id: pushes come before the event has a sequence number
	Path string        `json:"path"`
	Lag  time.Duration `json:"lag"`
}

// applied reads node's log and returns, per event id, its first
// application (a restarted node applies some events again; the first one
// counts).
func applied(t *testing.T, node *testenv.EdgeNode) map[int64]appliedEvent {
	t.Helper()
	f, err := os.Open(node.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := make(map[int64]appliedEvent)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if !bytes.Contains(sc.Bytes(), []byte(`"msg":"origin event applied"`)) {
			continue
		}
		var ev appliedEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("%s's log: %v: %s", node.Name, err, sc.Bytes())
		}
		if _, seen := out[ev.ID]; !seen {
			out[ev.ID] = ev
		}
	}
	return out
}

// missing returns the sequence numbers of the events in seqs that node has
// not applied.
func missing(t *testing.T, node *testenv.EdgeNode, seqs []contract.Event) []int64 {
	t.Helper()
	got := applied(t, node)
	var out []int64
	for _, ev := range seqs {
		if _, ok := got[ev.ID]; !ok {
			out = append(out, ev.Seq)
		}
	}
	return out
}

// waitApplied waits until every edge has applied every event in seqs, and
// fails naming what each edge misses after timeout.
func (s *invalidationStack) waitApplied(t *testing.T, seqs []contract.Event, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var report []string
		for _, n := range s.edges.Nodes {
			if m := missing(t, n, seqs); len(m) > 0 {
				report = append(report, fmt.Sprintf("%s misses %d of %d events (first %v)", n.Name, len(m), len(seqs), m[:min(len(m), 10)]))
			}
		}
		if len(report) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, strings.Join(report, "; "))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// lagReport summarises, for the events in seqs, how long after its commit
// returned each edge applied each event, and when the last edge had: per
// edge and for every edge, p50, p99 and max, and how many first
// applications came by each path. An edge's pixcdn_purge_lag_seconds
// counts from the event row's write, inside the transaction, so it also
// holds the commit itself: reported apart, from the origin's log, with
// the lag as the metric counts it on every edge.
func (s *invalidationStack) lagReport(t *testing.T, seqs []contract.Event) (everyEdge []time.Duration, report string) {
	t.Helper()
	commits := s.origin.commits(t)
	everyEdge = make([]time.Duration, len(seqs))
	metric := make([]time.Duration, len(seqs))
	commit := make([]time.Duration, 0, len(seqs))
	for _, ev := range seqs {
		commit = append(commit, commits[ev.ID])
	}
	var lines []string
	for _, n := range s.edges.Nodes {
		got := applied(t, n)
		lags := make([]time.Duration, 0, len(seqs))
		paths := map[string]int{}
		for i, ev := range seqs {
			first := got[ev.ID]
			lags = append(lags, first.Lag-commits[ev.ID])
			paths[first.Path]++
			everyEdge[i] = max(everyEdge[i], first.Lag-commits[ev.ID])
			metric[i] = max(metric[i], first.Lag)
		}
		lines = append(lines, fmt.Sprintf("%s: %s; first by push %d, gossip %d, feed %d",
			n.Name, percentiles(lags), paths["push"], paths["gossip"], paths["feed"]))
	}
	lines = append(lines, "every edge: "+percentiles(everyEdge),
		"the commit itself (event row written → commit returned): "+percentiles(commit),
		"every edge, as pixcdn_purge_lag_seconds counts (event row written → applied): "+percentiles(metric))
	return everyEdge, strings.Join(lines, "\n")
}

// percentiles formats p50, p99 and max of d (nearest rank).
func percentiles(d []time.Duration) string {
	if len(d) == 0 {
		return "no events"
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	return fmt.Sprintf("p50 %s, p99 %s, max %s over %d events",
		ms(nearestRank(d, 0.50)), ms(nearestRank(d, 0.99)), ms(nearestRank(d, 1)), len(d))
}

// nearestRank returns the p-quantile of d (0 < p ≤ 1) by nearest rank;
// zero for no values.
func nearestRank(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sorted := slices.Sorted(slices.Values(d))
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// tinyPNG is a distinct 16×16 PNG for each n.
func tinyPNG(n int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 * 16 {
		img.Set(i%16, i/16, color.NRGBA{R: uint8(n), G: uint8(n >> 8), B: uint8(i), A: 255})
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// originProcessUnderTest is one `pixcdn origin` process at a time, on the
// same address and flags, logging to logPath.
type originProcessUnderTest struct {
	bin, addr, logPath string
	env, args          []string
	mu                 sync.Mutex // guards cmd and done
	cmd                *exec.Cmd
	done               chan struct{}
}

func (o *originProcessUnderTest) url() string { return "http://" + o.addr }

// start runs the origin and returns without waiting for it to serve.
func (o *originProcessUnderTest) start(t *testing.T) {
	t.Helper()
	if err := o.restart(); err != nil {
		t.Fatal(err)
	}
}

// restart runs the origin (again) and returns without waiting for it to
// serve. Unlike start it may be called from any goroutine.
func (o *originProcessUnderTest) restart() error {
	log, err := os.OpenFile(o.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(o.bin, o.args...)
	cmd.Env = append(os.Environ(), o.env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start origin: %w", err)
	}
	done := make(chan struct{})
	o.mu.Lock()
	o.cmd, o.done = cmd, done
	o.mu.Unlock()
	go func() { _ = cmd.Wait(); log.Close(); close(done) }()
	return nil
}

// running returns the current process and its exit channel.
func (o *originProcessUnderTest) running() (*exec.Cmd, chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.cmd, o.done
}

// waitReady waits until the origin answers /readyz.
func (o *originProcessUnderTest) waitReady(t *testing.T) {
	t.Helper()
	if err := localserver.WaitHTTP(context.Background(), o.url()+"/readyz", 60*time.Second); err != nil {
		o.dumpLog(t)
		t.Fatal(err)
	}
}

// stop sends SIGTERM and kills the origin after grace.
func (o *originProcessUnderTest) stop(grace time.Duration) {
	cmd, done := o.running()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		o.kill()
	}
}

// kill ends the origin at once, as a crash would, and waits for it.
func (o *originProcessUnderTest) kill() {
	cmd, done := o.running()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// commits reads the origin's log and returns, per event id, how long after
// the event row was written its commit returned.
func (o *originProcessUnderTest) commits(t *testing.T) map[int64]time.Duration {
	t.Helper()
	f, err := os.Open(o.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := make(map[int64]time.Duration)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if !bytes.Contains(sc.Bytes(), []byte(`"msg":"event committed"`)) {
			continue
		}
		var ev struct {
			ID     int64         `json:"event"`
			Commit time.Duration `json:"commit"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("origin's log: %v: %s", err, sc.Bytes())
		}
		out[ev.ID] = ev.Commit
	}
	return out
}

func (o *originProcessUnderTest) dumpLog(t *testing.T) {
	b, _ := os.ReadFile(o.logPath)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	t.Logf("last log lines of the origin:\n%s", strings.Join(lines[max(len(lines)-40, 0):], "\n"))
}
