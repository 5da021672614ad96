package origin_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pixcdn/internal/testenv"
	"pixcdn/origin"
	"pixcdn/origin/minio"
	"pixcdn/origin/postgres"
	"pixcdn/origin/uploads"
)

// Store outages: helpers of the fault tests (fault_*_test.go), which stop
// and restart a PostgreSQL or MinIO server of their own under concurrent
// uploads.

// newFaultHarness is a harness over dsn and m that also serves tus uploads,
// wired as `pixcdn origin` wires them.
func newFaultHarness(t *testing.T, dsn string, m testenv.MinIOServer, mutate ...func(*origin.Config)) *harness {
	t.Helper()
	h := newHarnessOn(t, dsn, m, mutate...)
	ingest := func(ctx context.Context, in uploads.Ingestion) (uploads.Ingested, error) {
		im, err := h.svc.Ingest(ctx, in.Tenant, in.PublicID, in.Body, origin.IngestOptions{Tags: in.Tags})
		return uploads.Ingested{Version: im.Version, ETag: im.ETag()}, err
	}
	up, err := uploads.New(uploads.DefaultConfig(), uploads.Deps{
		Ledger:   postgres.NewUploadLedger(h.db),
		Staging:  minio.NewMultipart(h.blobs.Client(), h.blobs.Bucket()),
		Locks:    postgres.NewUploadLocks(h.db),
		Ingester: uploads.IngesterFunc(ingest),
		Status:   origin.StatusFor,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.srv.Close()
	h.srv = httptest.NewServer(h.svc.Handler(origin.HandlerOptions{Uploads: up}))
	t.Cleanup(h.srv.Close)
	return h
}

// answer is one upload request's outcome as a client saw it.
type answer struct {
	how        string // "put" or "tus"
	publicID   string
	data       []byte
	start      time.Time
	latency    time.Duration
	code       int // 0: no answer (err says why)
	err        error
	body       string
	retryAfter string
}

func (a answer) ok() bool { return a.code >= 200 && a.code < 300 }

// answers collects what the writers saw; safe for concurrent use.
type answers struct {
	mu   sync.Mutex
	list []answer
}

func (s *answers) add(a answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, a)
}

// count returns how many answers started at or after since satisfy keep.
func (s *answers) count(since time.Time, keep func(answer) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, a := range s.list {
		if !a.start.Before(since) && keep(a) {
			n++
		}
	}
	return n
}

func (s *answers) all() []answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.list)
}

// writers uploads new images in a loop — even writers by PUT, odd ones by
// tus (create, then one PATCH) — until stop is called, which waits for
// them; stop may be called again.
func writers(t *testing.T, h *harness, key string, n int, got *answers) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	for w := range n {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				id := fmt.Sprintf("w%d/%d.png", w, i)
				data := unique(pngImage(t, 24+i%16, 16+w, byte(w)), uint64(w)<<32|uint64(i))
				if w%2 == 0 {
					got.add(putUpload(client, h.srv.URL, key, id, data))
				} else {
					got.add(tusUpload(client, h.srv.URL, key, id, data))
				}
			}
		})
	}
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

func putUpload(client *http.Client, base, key, id string, data []byte) answer {
	req, _ := http.NewRequest(http.MethodPut, base+"/v1/acme/images/"+id, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+key)
	return send(client, req, answer{how: "put", publicID: id, data: data, start: time.Now()})
}

// tusUpload creates an upload and sends it whole in one PATCH; the answer
// is the first failing request's, or the PATCH's.
func tusUpload(client *http.Client, base, key, id string, data []byte) answer {
	a := answer{how: "tus", publicID: id, data: data, start: time.Now()}
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/acme/uploads/", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Length", strconv.Itoa(len(data)))
	req.Header.Set("Upload-Metadata", "public_id "+base64.StdEncoding.EncodeToString([]byte(id)))
	created := send(client, req, a)
	if created.code != http.StatusCreated {
		return created
	}
	req, _ = http.NewRequest(http.MethodPatch, base+created.body, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Offset", "0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	a.start = time.Now()
	return send(client, req, a)
}

// send does req and fills in the answer; a 201 with a Location (a tus
// creation) keeps the Location's path as its body.
func send(client *http.Client, req *http.Request, a answer) answer {
	resp, err := client.Do(req)
	if err != nil {
		a.err, a.latency = err, time.Since(a.start)
		return a
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	a.latency = time.Since(a.start)
	a.code, a.err, a.body = resp.StatusCode, err, string(bytes.TrimSpace(b))
	a.retryAfter = resp.Header.Get("Retry-After")
	if loc, lerr := resp.Location(); lerr == nil && a.code == http.StatusCreated {
		a.body = loc.Path
	}
	return a
}

// waitUntil polls cond until it holds or limit passes, and reports
// whether it held.
func waitUntil(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// checkOutageAnswers fails t for any answer that is neither a 2xx nor a
// 503 with Retry-After naming the store (want), and for error answers
// slower than maxLatency; it logs the counts and the error answers'
// median and max latency.
func checkOutageAnswers(t *testing.T, got []answer, want string, maxLatency time.Duration) {
	t.Helper()
	var ok, unavailable, other int
	var lat []time.Duration
	byKind := map[string]int{}
	for _, a := range got {
		byKind[fmt.Sprintf("%s %d", a.how, a.code)]++
		if a.ok() {
			ok++
			continue
		}
		lat = append(lat, a.latency)
		if a.code != http.StatusServiceUnavailable {
			other++
			t.Errorf("%s %s: got %d %q (%v) after %v, want a 2xx or a 503", a.how, a.publicID, a.code, a.body, a.err, a.latency)
			continue
		}
		unavailable++
		if a.retryAfter == "" || !strings.Contains(a.body, want) {
			t.Errorf("%s %s: 503 %q with Retry-After %q, want %q and a Retry-After", a.how, a.publicID, a.body, a.retryAfter, want)
		}
	}
	if len(lat) == 0 {
		t.Fatalf("no error answer among %d", len(got))
	}
	slices.Sort(lat)
	median, slowest := lat[len(lat)/2], lat[len(lat)-1]
	t.Logf("%d answers: %d 2xx, %d 503 (%q), %d other; error latency median %v, max %v; by request and status %v",
		len(got), ok, unavailable, want, other, median.Round(time.Millisecond), slowest.Round(time.Millisecond), byKind)
	if slowest > maxLatency {
		t.Errorf("slowest error answer took %v, want under %v", slowest, maxLatency)
	}
}

// checkUploadsReadable fails t unless every upload that got a 2xx reads
// back byte for byte.
func checkUploadsReadable(t *testing.T, h *harness, key string, got []answer) {
	t.Helper()
	n := 0
	for _, a := range got {
		if !a.ok() {
			continue
		}
		code, _, b := h.do("GET", "/v1/acme/originals/"+a.publicID, key, nil)
		if code != http.StatusOK || !bytes.Equal(b, a.data) {
			t.Errorf("%s %s got a %d, but reads back %d with %d bytes (want %d)", a.how, a.publicID, a.code, code, len(b), len(a.data))
		}
		n++
	}
	t.Logf("%d acknowledged uploads read back byte for byte", n)
}

// checkEveryRowHasBytes fails t for any image row of tenant whose blob is
// missing from the store.
func checkEveryRowHasBytes(t *testing.T, h *harness, tenant string) {
	t.Helper()
	ctx := testenv.Context(t)
	rows, after := 0, ""
	for {
		page, err := h.catalog.ListImages(ctx, tenant, origin.ListQuery{After: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range page {
			ok, err := h.blobs.Exists(ctx, im.BlobKey())
			if err != nil || !ok {
				t.Errorf("row %s v%d points at %s, which the store lacks (%v)", im.PublicID, im.Version, im.BlobKey(), err)
			}
		}
		rows += len(page)
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].PublicID
	}
	t.Logf("%d catalog rows, each with its bytes in the store", rows)
}

func failed(a answer) bool { return !a.ok() }

// firstOK returns how long after since the first 2xx answer arrived.
func firstOK(got []answer, since time.Time) time.Duration {
	first := time.Duration(-1)
	for _, a := range got {
		if end := a.start.Add(a.latency); a.ok() && end.After(since) && (first < 0 || end.Sub(since) < first) {
			first = end.Sub(since)
		}
	}
	return first.Round(time.Millisecond)
}

// minOutage is the shortest time a store stays stopped in a fault test.
const minOutage = time.Second

// outageRun is the course of a fault test: writers upload until some
// succeed, stopStore is called, writers go on for at least minOutage and
// until some fail, startStore is called, and writers go on until some
// succeed again. Then it checks the answers with checkOutageAnswers
// (want names the store) and returns them.
func outageRun(t *testing.T, h *harness, key, want string, stopStore, startStore func()) []answer {
	t.Helper()
	got := &answers{}
	stop := writers(t, h, key, 4, got)
	defer stop()
	phase := func(what string, cond func() bool) {
		t.Helper()
		if !waitUntil(20*time.Second, cond) {
			stop()
			checkOutageAnswers(t, got.all(), want, 2*time.Second)
			t.Fatalf("gave up after 20s waiting for %s", what)
		}
	}
	begin := time.Now()
	phase("uploads before the outage", func() bool { return got.count(begin, answer.ok) >= 8 })
	stopStore()
	down := time.Now()
	phase("failed uploads during the outage", func() bool {
		return got.count(down, failed) >= 8 && time.Since(down) >= minOutage
	})
	startStore()
	up := time.Now()
	phase("uploads after the store returned", func() bool { return got.count(up, answer.ok) >= 8 })
	stop()
	all := got.all()
	t.Logf("store stopped for %v; first 2xx %v after it was back", up.Sub(down).Round(time.Millisecond), firstOK(all, up))
	checkOutageAnswers(t, all, want, 2*time.Second)
	return all
}
