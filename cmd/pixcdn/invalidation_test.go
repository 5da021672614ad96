package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pixcdn/internal/localserver"
	"pixcdn/internal/testenv"
)

// invalidationBound is the product promise under test: every edge drops
// the old variants of a changed image within a fraction of a second. The
// bound leaves room for a loaded two-core machine; startup has its own,
// generous, timeouts.
const invalidationBound = 2 * time.Second

// The demo image the tests change: a resized variant of it on the edges,
// and the image at the origin's admin API.
const (
	landscapeVariant = "/demo/photos/landscape.jpg?w=320&fm=webp"
	landscapeAdmin   = "/v1/demo/images/photos/landscape.jpg"
)

// TestEdgesDropChangedImagesWithinASecond runs `pixcdn demo` (PostgreSQL,
// MinIO, the origin and three edges, as `make run` does), has every edge
// cache a resized variant of a sample image, then changes the image at the
// origin twice — a new version under the same public id, then a delete —
// and polls every edge until it stops serving what it cached. Each edge
// must get there within invalidationBound of the origin acknowledging the
// change, and must not serve the old variant again afterwards.
//
// The demo cannot stop and restart one edge (its supervisor stops the
// whole stack when a child exits), so catching up from the event feed
// after downtime is TestRestartedEdgeCatchesUpFromTheFeed's, with an edge
// of its own.
func TestEdgesDropChangedImagesWithinASecond(t *testing.T) {
	testenv.SkipIfShort(t, "starts PostgreSQL, MinIO, the origin and three edges")
	d := startDemoStack(t)
	defer d.stop(t)

	const path = landscapeVariant
	client := &http.Client{Timeout: 10 * time.Second}

	d.waitConverged(t)
	old := d.warm(t, client, path)
	t.Logf("every edge caches %s: ETag %s, %d bytes", path, old.etag, len(old.body))

	committed := d.replaceLandscape(t, 0.9)
	fresh := d.pollEdges(t, client, path, "replace", committed, replacing(old))
	for i, v := range fresh {
		if v.etag != fresh[0].etag {
			t.Errorf("after the replace edge%d serves ETag %s, edge1 %s", i+1, v.etag, fresh[0].etag)
		}
	}
	d.keeps(t, client, path, "replace", func(v variant) bool {
		return v.status == http.StatusOK && v.etag == fresh[0].etag && !bytes.Equal(v.body, old.body)
	})

	committed = d.originCall(t, http.MethodDelete, landscapeAdmin, nil, http.StatusNoContent)
	d.pollEdges(t, client, path, "delete", committed, func(v variant) bool { return v.status == http.StatusNotFound })
	d.keeps(t, client, path, "delete", func(v variant) bool { return v.status == http.StatusNotFound })
}

// waitConverged waits until every edge sees the three members, all
// advertising the same ring version, so that warming goes through the
// variant's owner and the others keep hot copies (the demo reports ready
// before gossip settles, and until then every edge serves locally).
func (d *demoStackUnderTest) waitConverged(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := d.converged()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo's edges did not converge within 60s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *demoStackUnderTest) converged() error {
	var version uint64
	for i := range 3 { // internal ports: BASE+100..
		var status struct {
			RingVersion uint64 `json:"ring_version"`
			Members     []struct {
				Name        string
				RingVersion uint64 `json:"ring_version"`
			}
		}
		url := fmt.Sprintf("http://127.0.0.1:%d/_cluster", d.base+100+i)
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Accept", "application/json")
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			return err
		}
		err = json.NewDecoder(resp.Body).Decode(&status)
		resp.Body.Close()
		switch {
		case err != nil:
			return fmt.Errorf("%s: %w", url, err)
		case len(status.Members) != 3:
			return fmt.Errorf("edge%d sees %d members", i+1, len(status.Members))
		case i > 0 && status.RingVersion != version:
			return fmt.Errorf("edge%d has ring version %d, edge1 %d", i+1, status.RingVersion, version)
		}
		for _, m := range status.Members { // an edge forwards only to members advertising its version
			if m.RingVersion != status.RingVersion {
				return fmt.Errorf("edge%d sees %s at ring version %d, not %d", i+1, m.Name, m.RingVersion, status.RingVersion)
			}
		}
		version = status.RingVersion
	}
	return nil
}

// originCall sends an admin request to the origin, fails unless it answers
// want, and returns when the answer arrived: the change is committed then.
func (d *demoStackUnderTest) originCall(t *testing.T, method, path string, body []byte, want int) time.Time {
	t.Helper()
	// The origin listens on BASE+300.
	req, err := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d%s", d.base+300, path), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+d.adminKey)
	sent := time.Now()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	done := time.Now()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %s %s, want %d", method, path, resp.Status, bytes.TrimSpace(answer), want)
	}
	t.Logf("origin: %s %s answered %s in %v", method, path, resp.Status, done.Sub(sent).Round(time.Millisecond))
	return done
}

// variant is one answer of an edge.
type variant struct {
	status int
	etag   string
	cache  string
	body   []byte
}

func getVariant(client *http.Client, url string) (variant, error) {
	resp, err := client.Get(url)
	if err != nil {
		return variant{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return variant{}, err
	}
	return variant{status: resp.StatusCode, etag: resp.Header.Get("ETag"), cache: resp.Header.Get("X-Cache"), body: body}, nil
}

// warm loads path through every edge until it answers from its own copy
// (X-Cache: HIT; the owner's cache, or on the other edges a hot copy kept
// from the second forwarded answer on) and returns what they serve; every
// edge must serve the same variant.
func (d *demoStackUnderTest) warm(t *testing.T, client *http.Client, path string) variant {
	t.Helper()
	var first variant
	for i, edge := range d.edges() {
		first = warmEdge(t, client, fmt.Sprintf("edge%d", i+1), edge+path, first)
	}
	return first
}

// warmEdge GETs url (on the edge called name) until the edge answers from
// its own copy (X-Cache: HIT), at most ten times, and returns what it
// serves. Every answer must be want, or, if want is zero, the first one.
func warmEdge(t *testing.T, client *http.Client, name, url string, want variant) variant {
	t.Helper()
	var caches []string
	for len(caches) < 10 && (len(caches) == 0 || caches[len(caches)-1] != "HIT") {
		v, err := getVariant(client, url)
		if err != nil {
			t.Fatalf("%s: GET %s: %v", name, url, err)
		}
		if v.status != http.StatusOK || v.etag == "" || len(v.body) < 100 {
			t.Fatalf("%s: GET %s: %d, ETag %q, %d bytes", name, url, v.status, v.etag, len(v.body))
		}
		if want.etag == "" {
			want = v
		}
		if v.etag != want.etag || !bytes.Equal(v.body, want.body) {
			t.Fatalf("%s serves ETag %s (%d bytes), want %s (%d bytes)", name, v.etag, len(v.body), want.etag, len(want.body))
		}
		caches = append(caches, v.cache)
	}
	t.Logf("%s: X-Cache %s", name, strings.Join(caches, ", "))
	if caches[len(caches)-1] != "HIT" {
		t.Fatalf("%s does not keep a copy of %s (X-Cache %s), so it tests no invalidation", name, url, strings.Join(caches, ", "))
	}
	return want
}

// replaceLandscape uploads a new version of the demo's landscape, painted
// with hue (the demo's own is 0.2), and returns when the origin committed it.
func (d *demoStackUnderTest) replaceLandscape(t *testing.T, hue float64) time.Time {
	t.Helper()
	replacement, err := encodeJPEG(drawScene(1600, 1067, hue))
	if err != nil {
		t.Fatal(err)
	}
	return d.originCall(t, http.MethodPut, landscapeAdmin, replacement, http.StatusOK)
}

// replacing accepts an answer that serves a new version of old's image.
func replacing(old variant) func(variant) bool {
	return func(v variant) bool {
		return v.status == http.StatusOK && v.etag != old.etag && !bytes.Equal(v.body, old.body)
	}
}

// pollEdges GETs path on every edge, every 20ms, until done accepts the
// answer, and fails for an edge that takes longer than invalidationBound
// after committed. It logs when each edge changed, as a window: still
// old at the first figure, changed by the second, both counted from the
// origin's answer. It returns the accepted answers, by edge.
func (d *demoStackUnderTest) pollEdges(t *testing.T, client *http.Client, path, change string, committed time.Time, done func(variant) bool) []variant {
	t.Helper()
	edges := d.edges()
	got := make([]variant, len(edges))
	before := make([]time.Duration, len(edges))
	after := make([]time.Duration, len(edges))
	errs := make([]error, len(edges))
	var wg sync.WaitGroup
	for i, edge := range edges {
		wg.Add(1)
		go func() {
			defer wg.Done()
			before[i], after[i], got[i], errs[i] = pollUntil(client, edge+path, committed, done)
		}()
	}
	wg.Wait()
	var report []string
	for i := range edges {
		if errs[i] != nil {
			t.Errorf("edge%d after the %s: %v", i+1, change, errs[i])
			continue
		}
		report = append(report, fmt.Sprintf("edge%d %v–%v (X-Cache %q)", i+1,
			before[i].Round(time.Millisecond), after[i].Round(time.Millisecond), got[i].cache))
	}
	if len(report) > 0 {
		t.Logf("%s: edges switched (still old when asked – changed when answered, from the origin's answer): %s", change, strings.Join(report, ", "))
	}
	if t.Failed() {
		t.FailNow()
	}
	return got
}

// pollUntil GETs url every 20ms until done accepts the answer, and returns
// when, after committed, the edge changed: after the last refused request
// was sent (before; zero if the first answer was accepted) and before the
// accepted answer arrived (after). It gives up, with an error naming the
// last answer, at invalidationBound after committed.
func pollUntil(client *http.Client, url string, committed time.Time, done func(variant) bool) (before, after time.Duration, _ variant, _ error) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := committed.Add(invalidationBound)
	var last variant
	var lastErr error
	for polls := 1; ; polls++ {
		sent := time.Now()
		v, err := getVariant(client, url)
		at := time.Now()
		if err == nil && done(v) {
			return before, at.Sub(committed), v, nil
		}
		last, lastErr, before = v, err, max(sent.Sub(committed), 0)
		if at.After(deadline) {
			if lastErr != nil {
				return 0, 0, last, fmt.Errorf("still failing %v after the change (%d polls): %w", at.Sub(committed).Round(time.Millisecond), polls, lastErr)
			}
			return 0, 0, last, fmt.Errorf("still serving %d, ETag %s, X-Cache %s, %d bytes %v after the change (%d polls); want it within %v",
				last.status, last.etag, last.cache, len(last.body), at.Sub(committed).Round(time.Millisecond), polls, invalidationBound)
		}
		<-tick.C
	}
}

// keeps GETs path on every edge ten times more and fails unless want
// accepts every answer: a copy of the old variant surviving somewhere (a
// hot copy, a request's memoised entry, a background revalidation) must
// not come back once an edge served the change.
func (d *demoStackUnderTest) keeps(t *testing.T, client *http.Client, path, change string, want func(variant) bool) {
	t.Helper()
	caches := make([][]string, len(d.edges()))
	for range 10 {
		for i, edge := range d.edges() {
			v, err := getVariant(client, edge+path)
			if err != nil {
				t.Fatalf("edge%d after the %s: GET %s: %v", i+1, change, path, err)
			}
			caches[i] = append(caches[i], fmt.Sprintf("%q", v.cache))
			if !want(v) {
				t.Fatalf("edge%d went back on the %s: %d, ETag %s, X-Cache %s, %d bytes", i+1, change, v.status, v.etag, v.cache, len(v.body))
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, c := range caches {
		t.Logf("after the %s edge%d answers with X-Cache %s", change, i+1, strings.Join(c, " "))
	}
}

// TestRestartedEdgeCatchesUpFromTheFeed runs `pixcdn demo` and beside it a
// fourth edge of its own: a single node with a disk cache, following the
// demo's origin with the demo edges' key. The origin pushes changes to the
// demo's three edges only, so this one learns of them from the event feed
// alone. The test has it cache a variant on disk, stops it, replaces the
// image at the origin and starts it again on the same cache: from its very
// first answer it must serve the new version, never the one on its disk
// (edge.Server.Start applies the missed events before the listeners serve).
func TestRestartedEdgeCatchesUpFromTheFeed(t *testing.T) {
	testenv.SkipIfShort(t, "starts PostgreSQL, MinIO, the origin and four edges")
	d := startDemoStack(t)
	defer d.stop(t)
	client := &http.Client{Timeout: 30 * time.Second}

	e := newLoneEdge(t, d)
	e.start(t)
	e.waitReady(t)
	old := warmEdge(t, client, e.name, e.url(landscapeVariant), variant{})
	e.stop(t)
	stoppedAt := e.feedPosition(t)
	t.Logf("%s cached %s on disk (ETag %s, %d bytes) and stopped at feed position %d",
		e.name, landscapeVariant, old.etag, len(old.body), stoppedAt)

	committed := d.replaceLandscape(t, 0.9)
	// The origin numbers a committed change a little after answering; an
	// edge starting before that has nothing to catch up with yet.
	seq := e.waitForEvent(t, stoppedAt, "photos/landscape.jpg")
	t.Logf("the origin sequenced the replace as event %d %v after answering", seq, time.Since(committed).Round(time.Millisecond))

	started := e.start(t)
	accepting := e.waitAccepting(t)
	first, err := getVariant(client, e.url(landscapeVariant))
	answered := time.Now()
	if err != nil {
		t.Fatalf("%s after the restart: GET %s: %v", e.name, landscapeVariant, err)
	}
	t.Logf("%s restarted: accepting connections after %v, first answer after %v (%d, ETag %s, X-Cache %q), feed position %d",
		e.name, accepting.Sub(started).Round(time.Millisecond), answered.Sub(started).Round(time.Millisecond),
		first.status, first.etag, first.cache, e.feedPosition(t))
	if !replacing(old)(first) {
		t.Fatalf("%s's first answer after the restart is not the new version: %d, ETag %s, X-Cache %q, %d bytes (the old one: ETag %s, %d bytes)",
			e.name, first.status, first.etag, first.cache, len(first.body), old.etag, len(old.body))
	}
	var caches []string
	for range 20 {
		v, err := getVariant(client, e.url(landscapeVariant))
		if err != nil {
			t.Fatalf("%s after the restart: GET %s: %v", e.name, landscapeVariant, err)
		}
		if v.status != http.StatusOK || v.etag != first.etag || !bytes.Equal(v.body, first.body) {
			t.Fatalf("%s went back on the replace: %d, ETag %s, X-Cache %q, %d bytes (the old one: ETag %s)",
				e.name, v.status, v.etag, v.cache, len(v.body), old.etag)
		}
		caches = append(caches, fmt.Sprintf("%q", v.cache))
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("after the restart %s answers with X-Cache %s", e.name, strings.Join(caches, " "))

	// The demo's edges, told by the origin's push, serve the same version.
	demo, err := getVariant(client, d.edges()[0]+landscapeVariant)
	if err != nil {
		t.Fatal(err)
	}
	if demo.status != http.StatusOK || demo.etag != first.etag || !bytes.Equal(demo.body, first.body) {
		t.Fatalf("edge1 serves %d, ETag %s, %d bytes; %s ETag %s, %d bytes", demo.status, demo.etag, len(demo.body),
			e.name, first.etag, len(first.body))
	}
}

// loneEdge is a `pixcdn edge` process outside the demo's cluster (no
// --gossip: a single node), started and restarted by a test on the same
// flags and disk cache, its output in one log file.
type loneEdge struct {
	name             string
	public, internal string // host:port
	cacheDir         string
	origin           string // http://host:port
	originKey        string
	args             []string
	logPath          string
	cmd              *exec.Cmd
	exited           chan struct{} // closed when cmd has exited; exitErr is set then
	exitErr          error
}

// newLoneEdge prepares a fourth edge for d: free loopback ports, a disk
// cache in a temporary directory, d's origin and the key of d's edges (the
// demo keeps it in DIR/secrets/edge-key; startDemoStack runs the demo in
// DIR). The log is shown when the test fails.
func newLoneEdge(t *testing.T, d *demoStackUnderTest) *loneEdge {
	t.Helper()
	key, err := os.ReadFile(filepath.Join(d.cmd.Dir, "secrets", "edge-key"))
	if err != nil {
		t.Fatal(err)
	}
	var ports [2]int
	for i := range ports {
		if ports[i], err = localserver.FreePort(); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	e := &loneEdge{
		name: "edge4", public: fmt.Sprintf("127.0.0.1:%d", ports[0]), internal: fmt.Sprintf("127.0.0.1:%d", ports[1]),
		cacheDir: filepath.Join(dir, "cache"), logPath: filepath.Join(dir, "edge4.log"),
		origin: fmt.Sprintf("http://127.0.0.1:%d", d.base+300), originKey: strings.TrimSpace(string(key)),
	}
	e.args = []string{"edge", "--name", e.name, "--public", e.public, "--internal", e.internal,
		"--origin", e.origin, "--origin-key", e.originKey,
		"--cache-dir", e.cacheDir, "--cache-size", "256MiB", "--mem-cache", "64MiB", "--log-level", "debug"}
	t.Cleanup(func() {
		if t.Failed() {
			if log, err := os.ReadFile(e.logPath); err == nil {
				t.Logf("%s's log:\n%s", e.name, lastLines(string(log), 60))
			}
		}
	})
	return e
}

// start starts the edge and returns when it did, without waiting for it:
// a test polls it from then on. The process is killed when the test ends.
func (e *loneEdge) start(t *testing.T) time.Time {
	t.Helper()
	bin := testenv.EdgeBinary(t)
	log, err := os.OpenFile(e.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(log, "--- %s: pixcdn %s\n", time.Now().Format(time.StampMilli),
		strings.Replace(strings.Join(e.args, " "), e.originKey, "(the demo's edge key)", 1))
	cmd := exec.Command(bin, e.args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		t.Fatalf("start %s: %v", e.name, err)
	}
	started := time.Now()
	exited := make(chan struct{})
	e.cmd, e.exited = cmd, exited
	go func() { e.exitErr = cmd.Wait(); log.Close(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	return started
}

// waitAccepting dials the public port every 2ms until it accepts a
// connection (the listener is bound, not necessarily served yet) and
// returns when it did.
func (e *loneEdge) waitAccepting(t *testing.T) time.Time {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", e.public, time.Second)
		if err == nil {
			at := time.Now()
			conn.Close()
			return at
		}
		e.failIfExited(t)
		if time.Now().After(deadline) {
			t.Fatalf("%s's public port %s accepts no connection within 60s: %v", e.name, e.public, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitReady waits for the edge's /readyz.
func (e *loneEdge) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := probeHTTP(context.Background(), "http://"+e.internal+"/readyz")
		if err == nil {
			return
		}
		e.failIfExited(t)
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within 60s: %v", e.name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *loneEdge) failIfExited(t *testing.T) {
	t.Helper()
	select {
	case <-e.exited:
		t.Fatalf("%s exited during start-up: %v", e.name, e.exitErr)
	default:
	}
}

// stop sends SIGTERM and waits for the edge to exit 0.
func (e *loneEdge) stop(t *testing.T) {
	t.Helper()
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
		if e.exitErr != nil {
			t.Fatalf("%s exited with %v after SIGTERM, want 0", e.name, e.exitErr)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not stop within 60s of SIGTERM", e.name)
	}
}

func (e *loneEdge) url(path string) string { return "http://" + e.public + path }

// feedPosition reads the last origin event the edge applied
// (--feed-state, by default CACHE_DIR/feed.seq).
func (e *loneEdge) feedPosition(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.cacheDir, "feed.seq"))
	if err != nil {
		t.Fatalf("%s's feed position: %v", e.name, err)
	}
	seq, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatalf("%s's feed position: %v", e.name, err)
	}
	return seq
}

// waitForEvent reads the origin's event feed with the edge's key, as the
// edge does, until it holds an event about publicID after position after,
// and returns that event's sequence number.
func (e *loneEdge) waitForEvent(t *testing.T, after int64, publicID string) int64 {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/v1/events?after=%d&wait=10s", e.origin, after), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.originKey)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("origin's event feed: %v", err)
		}
		var feed struct {
			Events []struct {
				Seq      int64  `json:"seq"`
				PublicID string `json:"public_id"`
			} `json:"events"`
		}
		err = json.NewDecoder(resp.Body).Decode(&feed)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("origin's event feed: %s, %v", resp.Status, err)
		}
		for _, ev := range feed.Events {
			if ev.PublicID == publicID {
				return ev.Seq
			}
			after = ev.Seq
		}
	}
	t.Fatalf("the origin's event feed has no event about %s after %d within 60s", publicID, after)
	return 0
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
