package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pixcdn/edge/eventfeed"
	"pixcdn/internal/demo"
	"pixcdn/internal/testenv"
	originclient "pixcdn/origin/client"
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
// Catching up from the event feed after downtime is
// TestRestartedEdgeCatchesUpFromTheFeed's, with an edge of its own.
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
	for i := range 3 { // internal ports: BASE+100..
		for {
			err := testenv.EdgeConverged(fmt.Sprintf("127.0.0.1:%d", d.base+100+i), 3)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the demo's edge%d did not converge within 60s: %v", i+1, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
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
	replacement, err := demo.LandscapeJPEG(hue)
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

	// The demo keeps its edges' origin key in DIR/secrets/edge-key
	// (startDemoStack runs the demo in DIR).
	key, err := os.ReadFile(filepath.Join(d.cmd.Dir, "secrets", "edge-key"))
	if err != nil {
		t.Fatal(err)
	}
	originURL, edgeKey := fmt.Sprintf("http://127.0.0.1:%d", d.base+300), strings.TrimSpace(string(key))
	cfg := originclient.DefaultConfig()
	cfg.BaseURL, cfg.Key = originURL, edgeKey
	origin, err := originclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := testenv.StartLoneEdge(t, "edge4", originURL, "--origin-key", edgeKey)
	e.WaitReady(t, 60*time.Second)
	old := warmEdge(t, client, e.Name, e.URL(landscapeVariant), variant{})
	if err := e.Stop(60 * time.Second); err != nil {
		t.Fatalf("%s after SIGTERM: %v, want exit 0", e.Name, err)
	}
	feed := eventfeed.FileSeq{Path: filepath.Join(e.CacheDir, "feed.seq")} // --feed-state's default
	stoppedAt, err := feed.Load()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s cached %s on disk (ETag %s, %d bytes) and stopped at feed position %d",
		e.Name, landscapeVariant, old.etag, len(old.body), stoppedAt)

	committed := d.replaceLandscape(t, 0.9)
	// The origin numbers a committed change a little after answering; an
	// edge starting before that has nothing to catch up with yet.
	seq := waitForEvent(t, origin, stoppedAt, "photos/landscape.jpg")
	t.Logf("the origin sequenced the replace as event %d %v after answering", seq, time.Since(committed).Round(time.Millisecond))

	started := e.Restart(t)
	accepting := waitAccepting(t, e)
	first, err := getVariant(client, e.URL(landscapeVariant))
	answered := time.Now()
	if err != nil {
		t.Fatalf("%s after the restart: GET %s: %v", e.Name, landscapeVariant, err)
	}
	position, _ := feed.Load()
	t.Logf("%s restarted: accepting connections after %v, first answer after %v (%d, ETag %s, X-Cache %q), feed position %d",
		e.Name, accepting.Sub(started).Round(time.Millisecond), answered.Sub(started).Round(time.Millisecond),
		first.status, first.etag, first.cache, position)
	if !replacing(old)(first) {
		t.Fatalf("%s's first answer after the restart is not the new version: %d, ETag %s, X-Cache %q, %d bytes (the old one: ETag %s, %d bytes)",
			e.Name, first.status, first.etag, first.cache, len(first.body), old.etag, len(old.body))
	}
	var caches []string
	for range 20 {
		v, err := getVariant(client, e.URL(landscapeVariant))
		if err != nil {
			t.Fatalf("%s after the restart: GET %s: %v", e.Name, landscapeVariant, err)
		}
		if v.status != http.StatusOK || v.etag != first.etag || !bytes.Equal(v.body, first.body) {
			t.Fatalf("%s went back on the replace: %d, ETag %s, X-Cache %q, %d bytes (the old one: ETag %s)",
				e.Name, v.status, v.etag, v.cache, len(v.body), old.etag)
		}
		caches = append(caches, fmt.Sprintf("%q", v.cache))
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("after the restart %s answers with X-Cache %s", e.Name, strings.Join(caches, " "))

	// The demo's edges, told by the origin's push, serve the same version.
	demo, err := getVariant(client, d.edges()[0]+landscapeVariant)
	if err != nil {
		t.Fatal(err)
	}
	if demo.status != http.StatusOK || demo.etag != first.etag || !bytes.Equal(demo.body, first.body) {
		t.Fatalf("edge1 serves %d, ETag %s, %d bytes; %s ETag %s, %d bytes", demo.status, demo.etag, len(demo.body),
			e.Name, first.etag, len(first.body))
	}
}

// waitAccepting dials e's public port every 2ms until it accepts a
// connection (the listener is bound, not necessarily served yet) and
// returns when it did.
func waitAccepting(t *testing.T, e *testenv.EdgeNode) time.Time {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", e.Public, time.Second)
		if err == nil {
			at := time.Now()
			conn.Close()
			return at
		}
		if !e.Running() {
			t.Fatalf("%s exited during start-up", e.Name)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's public port %s accepts no connection within 60s: %v", e.Name, e.Public, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitForEvent reads the origin's event feed, as an edge does, until it
// holds an event about publicID after position after, and returns that
// event's sequence number.
func waitForEvent(t *testing.T, origin *originclient.Client, after int64, publicID string) int64 {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		events, err := origin.Events(context.Background(), after, 10*time.Second)
		if err != nil {
			t.Fatalf("origin's event feed: %v", err)
		}
		for _, ev := range events {
			if ev.PublicID == publicID {
				return ev.Seq
			}
			after = ev.Seq
		}
	}
	t.Fatalf("the origin's event feed has no event about %s after %d within 60s", publicID, after)
	return 0
}
