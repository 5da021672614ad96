package clustertest

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

// budgetAnswer is what the format-budget test reads of an answer.
type budgetAnswer struct {
	code                                  int
	contentType, cacheControl, etag, vary string
	xCache                                string
}

// TestNegotiatedRequestDoesNotWaitForAVIF runs one real edge (libvips,
// dir: origin) with a background lane of one render and a slow AVIF
// effort. A negotiated request for a large variant is answered with WebP
// and starts its AVIF on the lane; a negotiated request for another variant
// is answered with WebP while that AVIF still renders: its own render was
// dropped (so the lane was full when it was decided) and no render had
// ended when its answer was in (so it did not wait for one). Explicit
// fm=avif is made at once all the same; once the lane is free, the dropped
// variant's render runs and a later negotiated request gets AVIF with the
// full max-age and another ETag.
func TestNegotiatedRequestDoesNotWaitForAVIF(t *testing.T) {
	root := t.TempDir()
	writeTexturedJPEG(t, filepath.Join(root, "acme", "photo.jpg"), 2400, 1600)
	node := testenv.StartLoneEdge(t, "edge1", "dir:"+root,
		"--workers", "2", "--background-renders", "1", "--avif-effort", "4")
	node.WaitReady(t, 20*time.Second)
	renders := func(result string) float64 {
		return node.Metric(t, "pixcdn_background_renders_total", `result="`+result+`"`)
	}
	const chrome = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"
	large, small := node.URL("/acme/photo.jpg?w=1200"), node.URL("/acme/photo.jpg?w=200")

	first := budgetGet(t, large, chrome)
	assertFallback(t, "the large variant", first)
	if renders("started") != 1 {
		t.Fatalf("background renders started: %v, want 1", renders("started"))
	}
	other := budgetGet(t, small, chrome)
	assertFallback(t, "the small variant", other)
	if d, f := renders("done"), renders("failed"); renders("dropped") != 1 || d+f != 0 {
		t.Fatalf("renders after the small variant's answer: dropped %v (want 1: the lane was full), done %v, failed %v (want 0: still rendering)",
			renders("dropped"), d, f)
	}

	explicit := budgetGet(t, node.URL("/acme/photo.jpg?w=200&fm=avif"), chrome)
	if explicit.code != 200 || explicit.contentType != "image/avif" || explicit.cacheControl == first.cacheControl || explicit.vary != "" {
		t.Fatalf("explicit fm=avif: %+v", explicit)
	}

	// The large variant's render (seconds of AV1 work at this effort, or
	// cut off by the transform deadline on a loaded machine) ends; the
	// small variant's was dropped, so its next negotiated request is a
	// fallback again that starts it, and a later one gets the AVIF.
	start := time.Now()
	waitRenders(t, renders, func(done, failed float64) bool { return done+failed == 1 })
	t.Logf("the large variant's render ended %v after the explicit AVIF's answer (done %v, failed %v)",
		time.Since(start).Round(time.Millisecond), renders("done"), renders("failed"))
	again := budgetGet(t, small, chrome)
	assertFallback(t, "the small variant again", again)
	if again.etag != other.etag {
		t.Fatalf("the small variant's fallback changed: ETag %s, then %s", other.etag, again.etag)
	}
	waitRenders(t, renders, func(done, failed float64) bool { return done+failed == 2 })
	later := budgetGet(t, small, chrome)
	if later.code != 200 || later.contentType != "image/avif" || later.xCache != "HIT" || later.etag == other.etag ||
		later.cacheControl == other.cacheControl || later.vary != "Accept" {
		t.Fatalf("the small variant later: %+v, want the cached AVIF with its own ETag and the full max-age (the fallback: %+v)", later, other)
	}
	if got := budgetGet(t, small, "image/webp,*/*"); got.contentType != "image/webp" || got.etag != other.etag || got.cacheControl != later.cacheControl {
		t.Fatalf("a WebP-only client: %+v, want the cached WebP (ETag %s) under the full policy", got, other.etag)
	}
}

// waitRenders polls the background render counters until ended says the
// renders that should have ended did.
func waitRenders(t *testing.T, renders func(string) float64, ended func(done, failed float64) bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !ended(renders("done"), renders("failed")) {
		if time.Now().After(deadline) {
			t.Fatalf("background renders: done %v, failed %v", renders("done"), renders("failed"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func assertFallback(t *testing.T, what string, a budgetAnswer) {
	t.Helper()
	if a.code != 200 || a.contentType != "image/webp" || a.cacheControl != "public, max-age=60" || a.vary != "Accept" || a.etag == "" {
		t.Fatalf("%s: %+v, want WebP with max-age=60 and Vary: Accept", what, a)
	}
}

func budgetGet(t *testing.T, url, accept string) budgetAnswer {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", accept)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	h := resp.Header.Get
	return budgetAnswer{code: resp.StatusCode, contentType: h("Content-Type"), cacheControl: h("Cache-Control"),
		etag: h("ETag"), vary: h("Vary"), xCache: h("X-Cache")}
}

// writeTexturedJPEG writes a w×h JPEG with a gradient and fixed-seed noise,
// which costs an AV1 encoder about what a photograph of that size does.
func writeTexturedJPEG(t *testing.T, path string, w, h int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			n := uint8(rng.IntN(48))
			img.Set(x, y, color.RGBA{uint8(x/10) + n, uint8(y/7) + n, uint8((x+y)/13) + n, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
