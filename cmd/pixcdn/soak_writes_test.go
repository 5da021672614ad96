package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"pixcdn/bench"
	"pixcdn/origin/uploads/tusclient"
)

// soakWriter makes the soak's changes while the load runs: uploads (new
// images by PUT and by tus, replacements of the Zipf images), deletes of
// new images (each checked to turn 404 on every edge) and purges by id,
// tag and prefix through the origin and the edges' /_purge. Every answer
// other than the expected one is a failure.
type soakWriter struct {
	cfg        soakConfig
	origin     string   // origin base URL
	internal   []string // edge internal base URLs, purges go to those not restarted
	public     []string // edge public base URLs
	adminKey   string
	purgeToken string
	bodies     [][]byte // replacement and new images, used in turn
	http       *http.Client
	tus        *tusclient.Client
	zipf       *bench.Zipf

	mu                          sync.Mutex
	newByPut, newByTus, replace int
	deleted                     int
	purged                      map[string]int // by kind
	gone404                     int            // 404s seen after deletes (expected)
	slowestDeleteSeen           time.Duration  // delete acknowledged → 404 on every edge
	latestServedAfterDelete     time.Duration  // delete acknowledged → the last 200 for it
	uploaded                    []string       // new images not yet deleted, oldest first
	failures                    []string
	failureCount                int
	slowest                     map[string]time.Duration // by operation
}

// soakTenant is the demo's tenant; the Zipf images are img-000000.jpg….
const soakTenant = "demo"

func newSoakWriter(cfg soakConfig, origin string, public, internal []string, adminKey, purgeToken string) (*soakWriter, error) {
	zipf, err := bench.NewZipf(cfg.images, bench.DefaultSyntheticConfig().ImageSkew)
	if err != nil {
		return nil, err
	}
	w := &soakWriter{
		cfg: cfg, origin: origin, public: public, internal: internal, adminKey: adminKey, purgeToken: purgeToken,
		http: &http.Client{Timeout: 30 * time.Second}, zipf: zipf,
		purged: map[string]int{}, slowest: map[string]time.Duration{},
	}
	w.tus = &tusclient.Client{HTTP: w.http, Key: adminKey}
	for i := range 16 {
		body, err := encodeJPEG(bench.SyntheticImage(soakSize(i), 2, i))
		if err != nil {
			return nil, err
		}
		w.bodies = append(w.bodies, body)
	}
	return w, nil
}

// soakSize is the pixel size of seeded image i (and of replacement body i).
func soakSize(i int) bench.Size {
	return []bench.Size{{W: 1024, H: 768}, {W: 640, H: 480}}[i%2]
}

// soakImageID is Zipf image i's public id, as the synthetic workload asks for it.
func soakImageID(i int) string { return bench.ImageID(i, "jpg") }

// soakGroup is the tag of Zipf image i: purges by tag take a tenth of them.
func soakGroup(i int) string { return fmt.Sprintf("group-%d", i%10) }

// seed uploads the Zipf images before the load starts.
func (w *soakWriter) seed(ctx context.Context) error {
	for i := range w.cfg.images {
		body, err := encodeJPEG(bench.SyntheticImage(soakSize(i), 1, i))
		if err != nil {
			return err
		}
		if err := w.put(ctx, soakImageID(i), soakGroup(i), body); err != nil {
			return fmt.Errorf("seed %s: %w", soakImageID(i), err)
		}
	}
	return nil
}

// runUploads uploads every cfg.uploadEvery until ctx ends, in turn: a new
// image by PUT, a replacement, a new image by tus, a replacement.
func (w *soakWriter) runUploads(ctx context.Context, r *rand.Rand) {
	tick := time.NewTicker(w.cfg.uploadEvery)
	defer tick.Stop()
	for k := 0; ; k++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		body := w.bodies[k%len(w.bodies)]
		switch k % 4 {
		case 0, 2:
			id := fmt.Sprintf("soak/new-%06d.jpg", k/2)
			op, err := "new-put", error(nil)
			began := time.Now()
			if k%4 == 0 {
				err = w.put(ctx, id, "soak", body)
			} else {
				op, err = "new-tus", w.tusUpload(ctx, id, body)
			}
			if w.record(ctx, op, began, err) {
				w.mu.Lock()
				w.uploaded = append(w.uploaded, id)
				if op == "new-put" {
					w.newByPut++
				} else {
					w.newByTus++
				}
				w.mu.Unlock()
			}
		default:
			i := r.IntN(w.cfg.images)
			began := time.Now()
			if w.record(ctx, "replace", began, w.put(ctx, soakImageID(i), soakGroup(i), body)) {
				w.mu.Lock()
				w.replace++
				w.mu.Unlock()
			}
		}
	}
}

// runDeletes deletes the oldest new image every cfg.deleteEvery until ctx
// ends: it has an edge cache a variant of it first, then deletes it at the
// origin and polls every edge until each answers 404 (an edge that refuses
// connections is down and skipped). Still served after
// cfg.deleteBound is a failure.
func (w *soakWriter) runDeletes(ctx context.Context) {
	tick := time.NewTicker(w.cfg.deleteEvery)
	defer tick.Stop()
	for k := 0; ; k++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		w.mu.Lock()
		if len(w.uploaded) < 2 { // keep the newest: it may still be on its way
			w.mu.Unlock()
			continue
		}
		id := w.uploaded[0]
		w.uploaded = w.uploaded[1:]
		w.mu.Unlock()
		path := "/" + soakTenant + "/" + id + "?w=200"
		warm := w.public[0] // edge1 and edge3 in turn: edge2 is the one restarted
		if k%2 == 1 {
			warm = w.public[len(w.public)-1]
		}
		if a, err := edgeGet(ctx, w.http, warm+path); err != nil || a.status != http.StatusOK {
			w.fail(ctx, "delete", fmt.Errorf("GET %s before deleting it: %v %v", warm+path, a, err))
			continue
		}
		began := time.Now()
		if !w.record(ctx, "delete", began, w.call(ctx, http.MethodDelete, "/v1/"+soakTenant+"/images/"+id, nil, http.StatusNoContent)) {
			continue
		}
		acknowledged := time.Now()
		if err := w.waitGone(ctx, path, acknowledged); err != nil {
			w.fail(ctx, "delete", err)
			continue
		}
		w.mu.Lock()
		w.deleted++
		w.slowestDeleteSeen = max(w.slowestDeleteSeen, time.Since(acknowledged))
		w.mu.Unlock()
	}
}

// waitGone polls every edge for path until each answers 404. An edge
// still serving the image after deleteBound is a failure; it is then
// polled on for up to a minute so the failure says how long it lasted and
// what the edge answered (X-Cache, Age).
func (w *soakWriter) waitGone(ctx context.Context, path string, since time.Time) error {
	pending := map[string]edgeAnswer{}
	for _, e := range w.public {
		pending[e] = edgeAnswer{}
	}
	var late map[string]edgeAnswer // what the edges answered at deleteBound
	for len(pending) > 0 && time.Since(since) < time.Minute {
		for e := range pending {
			a, err := edgeGet(ctx, w.http, e+path)
			switch {
			case err != nil && ctx.Err() != nil:
				return nil
			case err != nil:
				delete(pending, e) // down (the restarted edge): nothing to serve
			case a.status == http.StatusNotFound:
				w.mu.Lock()
				w.gone404++
				w.mu.Unlock()
				delete(pending, e)
			default:
				pending[e] = a
				w.mu.Lock()
				w.latestServedAfterDelete = max(w.latestServedAfterDelete, time.Since(since))
				w.mu.Unlock()
			}
		}
		if late == nil && len(pending) > 0 && time.Since(since) > w.cfg.deleteBound {
			late = maps.Clone(pending)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if late == nil {
		return nil
	}
	gone := fmt.Sprintf("404 everywhere after %s", time.Since(since).Round(10*time.Millisecond))
	if len(pending) > 0 {
		gone = fmt.Sprintf("still %v after a minute", pending)
	}
	return fmt.Errorf("%s still answered %v %s after its delete was acknowledged; %s", path, late, w.cfg.deleteBound, gone)
}

// runPurges purges every cfg.purgeEvery until ctx ends, in turn: one popular
// image by id through an edge, a tag through the origin, a prefix of ten
// images through the origin, a tag through an edge. Edge purges go to
// edge1 and edge3 (edge2 is the one restarted).
func (w *soakWriter) runPurges(ctx context.Context, r *rand.Rand) {
	tick := time.NewTicker(w.cfg.purgeEvery)
	defer tick.Stop()
	edges := []string{w.internal[0], w.internal[len(w.internal)-1]}
	for k := 0; ; k++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var op string
		var err error
		began := time.Now()
		edge := edges[k%len(edges)]
		switch k % 4 {
		case 0:
			op = "edge-id"
			err = w.edgePurge(ctx, edge, map[string]any{"tenant": soakTenant, "ids": []string{soakImageID(w.zipf.Sample(r))}})
		case 1:
			op = "origin-tag"
			err = w.call(ctx, http.MethodPost, "/v1/"+soakTenant+"/purge", map[string]any{"tags": []string{soakGroup(k / 4)}}, http.StatusAccepted)
		case 2:
			op = "origin-prefix"
			prefix := strings.TrimSuffix(soakImageID((k/4)%max(1, w.cfg.images/10)*10), "0.jpg")
			err = w.call(ctx, http.MethodPost, "/v1/"+soakTenant+"/purge", map[string]any{"prefix": prefix}, http.StatusAccepted)
		default:
			op = "edge-tag"
			err = w.edgePurge(ctx, edge, map[string]any{"tenant": soakTenant, "tags": []string{soakGroup(k/4 + 5)}})
		}
		if w.record(ctx, "purge", began, err) {
			w.mu.Lock()
			w.purged[op]++
			w.mu.Unlock()
		}
	}
}

// record notes the outcome of one operation begun at began and reports
// whether it succeeded. An operation cut short by the end of the soak is
// neither.
func (w *soakWriter) record(ctx context.Context, op string, began time.Time, err error) bool {
	if err != nil {
		w.fail(ctx, op, err)
		return false
	}
	w.mu.Lock()
	w.slowest[op] = max(w.slowest[op], time.Since(began))
	w.mu.Unlock()
	return true
}

func (w *soakWriter) fail(ctx context.Context, op string, err error) {
	if ctx.Err() != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.failureCount++
	if len(w.failures) < 20 {
		w.failures = append(w.failures, fmt.Sprintf("%s %s: %v", time.Now().Format(time.TimeOnly), op, err))
	}
}

func (w *soakWriter) put(ctx context.Context, id, tags string, body []byte) error {
	path := "/v1/" + soakTenant + "/images/" + id + "?tags=" + tags
	return w.call(ctx, http.MethodPut, path, body, http.StatusOK, http.StatusCreated)
}

func (w *soakWriter) tusUpload(ctx context.Context, id string, body []byte) error {
	endpoint, err := tusclient.Endpoint(w.origin, soakTenant)
	if err != nil {
		return err
	}
	_, err = w.tus.Upload(ctx, endpoint, bytes.NewReader(body), int64(len(body)),
		map[string]string{"public_id": id, "tags": "soak", "filetype": "image/jpeg"}, tusclient.Options{})
	return err
}

// call sends an admin request to the origin (a []byte body raw, any other
// as JSON) and fails unless it answers one of want.
func (w *soakWriter) call(ctx context.Context, method, path string, body any, want ...int) error {
	payload, ok := body.([]byte)
	if !ok && body != nil {
		payload, _ = json.Marshal(body)
	}
	return w.send(ctx, method, w.origin+path, "Bearer "+w.adminKey, payload, want...)
}

// edgePurge posts a purge to an edge's internal /_purge.
func (w *soakWriter) edgePurge(ctx context.Context, internal string, body map[string]any) error {
	payload, _ := json.Marshal(body)
	return w.send(ctx, http.MethodPost, internal+"/_purge", "Bearer "+w.purgeToken, payload, http.StatusOK)
}

func (w *soakWriter) send(ctx context.Context, method, url, auth string, payload []byte, want ...int) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", auth)
	resp, err := w.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if !slices.Contains(want, resp.StatusCode) {
		return fmt.Errorf("%s %s: %s %s", method, url, resp.Status, bytes.TrimSpace(answer))
	}
	return nil
}

// edgeAnswer is what an edge answered: status, X-Cache and Age.
type edgeAnswer struct {
	status     int
	cache, age string
}

func (a edgeAnswer) String() string {
	return fmt.Sprintf("%d X-Cache=%s Age=%s", a.status, a.cache, a.age)
}

// edgeGet GETs url as a WebP-capable browser.
func edgeGet(ctx context.Context, client *http.Client, url string) (edgeAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return edgeAnswer{}, err
	}
	req.Header.Set("Accept", "image/webp,*/*")
	resp, err := client.Do(req)
	if err != nil {
		return edgeAnswer{}, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return edgeAnswer{status: resp.StatusCode, cache: resp.Header.Get("X-Cache"), age: resp.Header.Get("Age")}, nil
}

func encodeJPEG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	return buf.Bytes(), err
}
