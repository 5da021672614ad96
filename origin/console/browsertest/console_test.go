package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"pixcdn/internal/testenv"
)

// uploadWatch records, from the DevTools network events, every tus PATCH
// the page sends (its Upload-Offset) and every upload request that failed.
type uploadWatch struct {
	mu      sync.Mutex
	patches []int64 // Upload-Offset of each PATCH, in order
	failed  int
	ids     map[network.RequestID]bool
	errors  []string // exceptions and console errors of the page
}

func watchUploads(t *testing.T, ctx context.Context) *uploadWatch {
	t.Helper()
	w := &uploadWatch{ids: map[network.RequestID]bool{}}
	ctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	sent := chromedp.Events(ctx, network.RequestWillBeSent)
	failed := chromedp.Events(ctx, network.LoadingFailed)
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	go func() {
		for ev, err := range sent {
			if err != nil {
				w.fail(err)
				return
			}
			if !strings.Contains(ev.Request.URL, "/uploads/") {
				continue
			}
			w.mu.Lock()
			w.ids[ev.RequestID] = true
			if ev.Request.Method == http.MethodPatch {
				off, _ := strconv.ParseInt(testenv.BrowserHeader(ev.Request.Headers, "Upload-Offset"), 10, 64)
				w.patches = append(w.patches, off)
			}
			w.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range failed {
			if err != nil {
				w.fail(err)
				return
			}
			w.mu.Lock()
			if w.ids[ev.RequestID] {
				w.failed++
			}
			w.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				w.fail(err)
				return
			}
			w.mu.Lock()
			w.errors = append(w.errors, ev.ExceptionDetails.Text+" "+fmt.Sprint(ev.ExceptionDetails.Exception))
			w.mu.Unlock()
		}
	}()
	// Upload bodies are binary: DevTools must not put them in the events.
	noPostData := int64(1)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{MaxPostDataSize: &noPostData}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return w
}

// fail records that an event stream ended with err (other than the end of
// the test).
func (w *uploadWatch) fail(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	w.mu.Lock()
	w.errors = append(w.errors, "DevTools events: "+err.Error())
	w.mu.Unlock()
}

func (w *uploadWatch) snapshot() (patches []int64, failed int, errors []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int64(nil), w.patches...), w.failed, append([]string(nil), w.errors...)
}

// setOffline cuts the browser off the network (or restores it) with
// DevTools' network emulation, and tells the page (navigator.onLine and
// the online/offline events).
func setOffline(ctx context.Context, offline bool) error {
	_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}},
	})
	if err != nil {
		return err
	}
	_, err = chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: offline, DownloadThroughput: -1, UploadThroughput: -1,
	})
	return err
}

// waitArrived waits until the proxy holds the armed upload.
func waitArrived(t *testing.T, h *hold) {
	t.Helper()
	select {
	case <-h.arrived:
	case <-time.After(60 * time.Second):
		t.Fatalf("no upload reached %d bytes within 60 s", cutAfter)
	}
}

// eval runs JavaScript in the page and returns its value.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is true, failing the test
// with what after timeout.
func waitFor(t *testing.T, ctx context.Context, what, js string, timeout time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		notice, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 2000)`))
		t.Fatalf("waiting for %s (%s): %v\npage text:\n%s", what, js, err, notice)
	}
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", filepath.Join(dir, name), len(png))
}

// TestConsole drives the console as a person would, in headless Chromium,
// against a real origin (PostgreSQL, MinIO) and edge:
//   - sign in with an editor key: the gallery lists the seeded images with
//     thumbnails from the edge (srcset with a 2x candidate) that load, over
//     placeholders from the edge's image info (signed for a signed image);
//   - "Load more" brings the next page by the cursor, with an image added
//     after the cursor meanwhile and without one added before it, nothing
//     repeated; a tag filter and an id prefix filter narrow the gallery;
//   - upload a photo of a few MB and a small file; 1 MiB into the photo's
//     PATCH the browser goes offline (DevTools network emulation) and the
//     connection drops (a proxy between browser and origin ends the request
//     there); the row says it waits for the network; once online again the
//     upload goes on from the origin's offset, 1 MiB (the next PATCH starts
//     there, none starts again from 0), and the origin stores exactly the
//     file's bytes;
//   - the same file under another id, paused 1 MiB in, the page reloaded
//     and the file chosen again: the console lists the unfinished upload,
//     continues it from 1 MiB and the origin stores the file's bytes;
//   - the image page previews an edge URL in the format the browser's
//     Accept negotiated, and reads its format and bytes; for a signed image
//     the preview URL is signed by the origin and loads;
//   - "Purge from edges" makes the edge's next answer for a cached variant
//     a MISS;
//   - a viewer key is offered no upload, save, purge or delete.
func TestConsole(t *testing.T) {
	testenv.SkipIfShort(t, "starts PostgreSQL, MinIO, a pixcdn origin and edge, and Chromium")
	start := time.Now()
	phase := func(name string) { t.Logf("%6.1fs %s", time.Since(start).Seconds(), name) }
	bigPhoto := make(chan []byte, 1) // made while the servers start
	go func() { bigPhoto <- photo(2000, 1350, 7) }()
	s := startConsoleStack(t)
	phase("stack started")
	shots := screenshotDir(t)
	for _, c := range []struct {
		id   string
		tags string
		col  color.RGBA
	}{
		{"swatches/amber.png", "swatch,warm", color.RGBA{240, 170, 40, 255}},
		{"swatches/coral.png", "swatch,warm", color.RGBA{240, 110, 90, 255}},
		{"swatches/teal.png", "swatch,cold", color.RGBA{40, 170, 160, 255}},
		{"swatches/violet.png", "swatch,cold", color.RGBA{130, 90, 200, 255}},
	} {
		s.origin.Put(t, tenant, c.id+"?tags="+c.tags, swatch(t, c.col))
	}
	// Twenty tiles more, so that the gallery's first page (24) is not all.
	for i := range 20 {
		s.origin.Put(t, tenant, fmt.Sprintf("tiles/%02d.png?tags=tile", i), swatch(t, hue(float64(i)/20)))
	}
	for i, id := range []string{"photos/dunes.jpg", "photos/hills.jpg"} {
		s.origin.Put(t, tenant, id+"?tags=photo", photo(800, 533, uint64(i+1)))
	}
	if code, body := s.origin.Call(t, http.MethodPatch, "/v1/"+tenant+"/images/photos/hills.jpg", []byte(`{"visibility":"signed"}`)); code != http.StatusOK {
		t.Fatalf("make hills.jpg signed: %d %s", code, body)
	}

	phase("images seeded")
	browser := testenv.Browser(t, chromedp.WindowSize(1280, 900))
	w := watchUploads(t, browser)
	ctx, cancel := context.WithTimeout(browser, 3*time.Minute)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}

	// Sign in.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.consoleURL+"")); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, s.editorKey)
	// Gallery: the first page of 24 in id order, the first six (in view)
	// loaded from the edge, with a 2x candidate.
	waitFor(t, ctx, "six thumbnails loaded", `(() => { const imgs = [...document.querySelectorAll("#gallery img")];
		return imgs.length === 24 && imgs.slice(0, 6).every((i) => i.complete && i.naturalWidth > 0); })()`, 60*time.Second)
	srcset := eval[string](t, ctx, `document.querySelector('#gallery li[data-id="swatches/amber.png"] img').srcset`)
	if !strings.HasPrefix(srcset, s.edgeURL+"/"+tenant+"/swatches/amber.png?w=240&h=240&fit=cover 1x, ") || !strings.Contains(srcset, "dpr=2 2x") {
		t.Errorf("thumbnail srcset %q: want edge URLs with 1x and dpr=2 2x", srcset)
	}
	waitFor(t, ctx, "placeholders from the edge's image info", `[...document.querySelectorAll("#gallery img")].every((i) =>
		i.dataset.placeholder === "shown" && getComputedStyle(i).backgroundImage.startsWith('url("data:image/png'))`, 60*time.Second)
	signedThumb := eval[string](t, ctx, `document.querySelector('#gallery li[data-id="photos/hills.jpg"] img').currentSrc`)
	if !strings.Contains(signedThumb, "&s=") {
		t.Errorf("thumbnail of a signed image %q carries no signature", signedThumb)
	}
	if key := eval[string](t, ctx, `sessionStorage.getItem("pixcdn.console.session") || ""`); !strings.Contains(key, s.editorKey) {
		t.Errorf("the session storage does not hold the key: %q", key)
	}
	if cookies := eval[string](t, ctx, `document.cookie`); cookies != "" {
		t.Errorf("the console set cookies: %q", cookies)
	}

	phase("signed in, gallery shown")
	// Load more while images are added: one after the cursor (the last id
	// shown, tiles/17.png) comes with the next page, one before it does
	// not, and nothing repeats.
	s.origin.Put(t, tenant, "tiles/05b.png", swatch(t, hue(0.5)))
	s.origin.Put(t, tenant, "zz/late.png", swatch(t, hue(0.9)))
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#load-more"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the second page", `document.querySelectorAll("#gallery li").length === 27 && document.getElementById("load-more").hidden`, 20*time.Second)
	ids := eval[[]string](t, ctx, `[...document.querySelectorAll("#gallery li")].map((li) => li.dataset.id)`)
	if got := strings.Join(ids[24:], " "); got != "tiles/18.png tiles/19.png zz/late.png" {
		t.Errorf("second page %q, want tiles/18.png tiles/19.png zz/late.png", got)
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("gallery ids out of order or repeated: %q", ids)
	}
	// Filter by tag.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#filter-tag"), "swatch"), chromedp.Click(chromedp.CSS(`#filter-form button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the tag filter", `document.querySelectorAll("#gallery li").length === 4`, 20*time.Second)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#filter-clear"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the cleared filter", `document.querySelectorAll("#gallery li").length === 24`, 20*time.Second)
	screenshot(t, ctx, shots, "console-gallery.png")

	// Upload: a photo of a few MB, cut off mid-upload and restored.
	big := <-bigPhoto
	file := filepath.Join(t.TempDir(), "valley.jpg")
	if err := os.WriteFile(file, big, 0o644); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(t.TempDir(), "pebble.png")
	if err := os.WriteFile(small, swatch(t, color.RGBA{150, 150, 140, 255}), 0o644); err != nil {
		t.Fatal(err)
	}
	phase(fmt.Sprintf("uploading %s: %d bytes", file, len(big)))
	cut := s.proxy.arm()
	if err := chromedp.Do(ctx, chromedp.Navigate(s.consoleURL+"#/upload")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the upload view", `!document.getElementById("view-upload").hidden && !document.getElementById("upload-files").disabled`, 20*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#upload-prefix"), "uploads"),
		chromedp.SendKeys(chromedp.CSS("#upload-tags"), "photo,upload"),
		chromedp.SetUploadFiles(chromedp.CSS("#upload-files"), []string{file, small}),
	); err != nil {
		t.Fatal(err)
	}
	const row = `document.querySelector('#uploads li[data-id="uploads/valley.jpg"]')`
	waitArrived(t, cut)
	// The connection drops in the middle of the upload: the browser goes
	// offline, the origin has the first cutAfter bytes, and the browser's
	// request ends without an answer.
	if err := setOffline(ctx, true); err != nil {
		t.Fatal(err)
	}
	cut.Cut()
	waitFor(t, ctx, "the upload to notice it is offline", row+`.dataset.state === "offline"`, 30*time.Second)
	screenshot(t, ctx, shots, "console-upload.png")
	if err := setOffline(ctx, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the upload to finish", row+`.dataset.state === "done"`, 60*time.Second)
	waitFor(t, ctx, "the second file to finish", `document.querySelector('#uploads li[data-id="uploads/pebble.png"]').dataset.state === "done"`, 30*time.Second)

	phase("uploaded")
	patches, failed, _ := w.snapshot()
	t.Logf("tus PATCH offsets: %v; %d upload requests failed while offline", patches, failed)
	// Three PATCHes, in any order: the photo's and the small file's from 0,
	// and the photo's again from where the origin's copy ended.
	slices.Sort(patches)
	if !slices.Equal(patches, []int64{0, 0, cutAfter}) || failed == 0 {
		t.Errorf("PATCH offsets %v, %d failed requests: want 0, 0 and %d, and the cut request failed", patches, failed, cutAfter)
	}
	if got := s.original(t, "uploads/valley.jpg"); !bytes.Equal(got, big) {
		t.Fatalf("stored original: %d bytes, want the %d bytes uploaded, identical", len(got), len(big))
	}

	// Pause, reload the page, choose the file again: the upload continues.
	paused := s.proxy.arm()
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#upload-prefix"), "reloaded"),
		chromedp.SetUploadFiles(chromedp.CSS("#upload-files"), []string{file}),
	); err != nil {
		t.Fatal(err)
	}
	const again = `document.querySelector('#uploads li[data-id="reloaded/valley.jpg"]')`
	waitArrived(t, paused)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#uploads li[data-id="reloaded/valley.jpg"] button`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the upload to pause", again+`.dataset.state === "paused"`, 20*time.Second)
	before, _, _ := w.snapshot()
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the unfinished upload listed after the reload", `!document.getElementById("upload-pending").hidden &&
		document.getElementById("upload-pending").textContent.includes("reloaded/valley.jpg")`, 20*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#upload-prefix"), "reloaded"),
		chromedp.SetUploadFiles(chromedp.CSS("#upload-files"), []string{file}),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the reloaded upload to finish", again+`.dataset.state === "done"`, 60*time.Second)
	after, _, _ := w.snapshot()
	t.Logf("tus PATCH offsets after the reload: %v", after[len(before):])
	if resumed := after[len(before):]; len(resumed) != 1 || resumed[0] != cutAfter {
		t.Errorf("PATCH offsets after the reload %v, want one from %d", resumed, cutAfter)
	}
	if got := s.original(t, "reloaded/valley.jpg"); !bytes.Equal(got, big) {
		t.Fatalf("stored original after the reload: %d bytes, want the %d bytes uploaded, identical", len(got), len(big))
	}
	phase("paused, reloaded, resumed")

	// The gallery shows it.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.consoleURL+"#/"),
		chromedp.SendKeys(chromedp.CSS("#filter-prefix"), "uploads/"),
		chromedp.Click(chromedp.CSS(`#filter-form button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the uploaded photo in the gallery", `(() => { const i = document.querySelector('#gallery li[data-id="uploads/valley.jpg"] img');
		return i && i.complete && i.naturalWidth > 0; })()`, 60*time.Second)

	// Image page: preview in the negotiated format.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.consoleURL+"#/image/"+strings.ReplaceAll("uploads/valley.jpg", "/", "%2F"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the preview's format and bytes", `document.getElementById("b-url").value.includes("/uploads/valley.jpg?") &&
		document.getElementById("b-stats").dataset.bytes > 0`, 60*time.Second)
	format := eval[string](t, ctx, `document.getElementById("b-stats").dataset.format`)
	stats := eval[string](t, ctx, `document.getElementById("b-stats").textContent`)
	t.Logf("preview: %s", stats)
	if format != "image/jxl" && format != "image/avif" && format != "image/webp" {
		t.Errorf("preview format %q: want what Chromium's Accept negotiates (JPEG XL, AVIF or WebP)", format)
	}
	screenshot(t, ctx, shots, "console-image.png")

	phase("previewed")
	// Purge: a cached variant's next answer is a miss.
	const variant = "/" + tenant + "/uploads/valley.jpg?w=300&fm=jpeg"
	for range 2 {
		s.edgeGet(t, variant)
	}
	if code, cache := s.edgeGet(t, variant); code != http.StatusOK || cache != "HIT" {
		t.Fatalf("before the purge: %d, X-Cache %q, want a 200 HIT", code, cache)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#image-purge"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the purge to be sent", `document.getElementById("image-action-result").textContent.startsWith("Purge sent")`, 20*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, cache := s.edgeGet(t, variant)
		if cache != "HIT" {
			if code != http.StatusOK || cache != "MISS" {
				t.Fatalf("after the purge: %d, X-Cache %q, want a 200 MISS", code, cache)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the edge still answers HIT 30 s after the console's purge")
		}
		time.Sleep(50 * time.Millisecond)
	}

	phase("purged")
	// A signed image's preview URL is signed by the origin, and loads.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.consoleURL+"#/image/photos%2Fhills.jpg")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the signed preview", `document.getElementById("b-url").value.includes("/photos/hills.jpg?") &&
		document.getElementById("b-stats").dataset.bytes > 0`, 60*time.Second)
	if url := eval[string](t, ctx, `document.getElementById("b-url").value`); !strings.Contains(url, "&exp=") || !strings.Contains(url, "&s=") {
		t.Errorf("URL of a signed image %q: want exp= and s=", url)
	}

	phase("signed preview")
	// A viewer key reads: no upload, save, purge or delete is offered,
	// and the upload page sends it back to the gallery.
	code, answer := s.origin.Call(t, http.MethodPost, "/v1/"+tenant+"/keys", []byte(`{"role":"viewer"}`))
	var viewer struct{ Key string }
	if code != http.StatusCreated || json.Unmarshal(answer, &viewer) != nil || viewer.Key == "" {
		t.Fatalf("viewer key: %d %s", code, answer)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#sign-out"))); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, viewer.Key)
	waitFor(t, ctx, "the viewer's gallery", `!document.getElementById("view-gallery").hidden &&
		document.getElementById("who").textContent.includes("(viewer)")`, 30*time.Second)
	shown := func(selector string) bool {
		return eval[bool](t, ctx, `getComputedStyle(document.querySelector(`+strconv.Quote(selector)+`)).display !== "none"`)
	}
	if shown(`a[href="#/upload"]`) {
		t.Error("a viewer is offered uploads")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.consoleURL+"#/image/uploads%2Fvalley.jpg")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the viewer's image page", `!document.getElementById("view-image").hidden &&
		document.getElementById("image-title").textContent.includes("valley")`, 30*time.Second)
	for _, sel := range []string{"#image-save", "#image-purge", "#image-delete"} {
		if shown(sel) {
			t.Errorf("a viewer is offered %s", sel)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.consoleURL+"#/upload")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the upload page refused to a viewer", `!document.getElementById("view-gallery").hidden &&
		document.getElementById("notice").textContent.includes("may only read")`, 30*time.Second)
	if _, _, errs := w.snapshot(); len(errs) > 0 {
		t.Errorf("the page threw: %q", errs)
	}
}

// signIn fills the console's sign-in form, once it shows, with the test
// tenant and key, and submits it.
func signIn(t *testing.T, ctx context.Context, key string) {
	t.Helper()
	waitFor(t, ctx, "the sign-in form", `!document.getElementById("view-signin").hidden`, 20*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#signin-tenant"), tenant),
		chromedp.SendKeys(chromedp.CSS("#signin-key"), key),
		chromedp.Click(chromedp.CSS(`#signin-form button[type=submit]`)),
	); err != nil {
		t.Fatal(err)
	}
}
