package browsertest

import (
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // image.DecodeConfig of the edge's JPEG answers
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pixcdn/internal/testenv"
)

// TestReloadRevalidatesWithIfNoneMatch: Chromium, with its HTTP cache on,
// opens an image URL of a real edge, then reloads it. The reload is a
// conditional request carrying the first answer's ETag in If-None-Match,
// the edge answers 304 on the wire (DevTools' raw response, and the edge's
// own pixcdn_requests_total{code="304"}), and the page still shows the
// image.
func TestReloadRevalidatesWithIfNoneMatch(t *testing.T) {
	testenv.SkipIfShort(t, "starts a pixcdn edge process and Chromium")
	edge := testenv.StartLoneEdge(t, "reload", "dir:"+writePhoto(t))
	edge.WaitReady(t, 60*time.Second)
	imgURL := "http://" + edge.Public + "/acme/photo.jpg?w=120&fm=webp"

	browser := testenv.Browser(t)
	w := watchNetwork(t, browser, false)
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(imgURL)); err != nil {
		t.Fatalf("navigate to %s: %v", imgURL, err)
	}
	first, ok := w.last(imgURL)
	if !ok || first.resp.Status != 200 {
		t.Fatalf("first load: %+v", first)
	}
	etag := testenv.BrowserHeader(first.resp.Headers, "ETag")
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	xs := w.all(imgURL)
	if len(xs) != 2 {
		t.Fatalf("%d exchanges for %s, want the load and the reload", len(xs), imgURL)
	}
	reload := xs[1]
	if got := testenv.BrowserHeader(reload.sent, "If-None-Match"); etag == "" || got != etag {
		t.Errorf("the reload sent If-None-Match %q, want the ETag %q", got, etag)
	}
	if reload.rawStatus != 304 {
		t.Errorf("the reload's response on the wire: %d, want 304", reload.rawStatus)
	}
	if n := edge.Metric(t, "pixcdn_requests_total", `code="304"`); n != 1 {
		t.Errorf("the edge counted %v answers 304, want 1", n)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.images.length ? document.images[0].naturalWidth : -1`))
	if err != nil || width != 120 {
		t.Errorf("after the reload the page shows an image %d px wide (%v), want 120", width, err)
	}
}

// jpegWidth fetches url and returns the width of the JPEG it answers.
func jpegWidth(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	cfg, _, err := image.DecodeConfig(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return cfg.Width
}

// TestSrcsetPicksTheWidthOfTheDevicePixelRatio: a page shows a 200 CSS px
// image with srcset candidates of 200 and 400 px from a real edge. At an
// emulated device pixel ratio of 1 Chromium fetches the 200 px one only;
// at 2 it fetches the 400 px one, which is 400 pixels wide.
func TestSrcsetPicksTheWidthOfTheDevicePixelRatio(t *testing.T) {
	testenv.SkipIfShort(t, "starts a pixcdn edge process and Chromium")
	edge := testenv.StartLoneEdge(t, "srcset", "dir:"+writePhoto(t))
	edge.WaitReady(t, 60*time.Second)
	base := "http://" + edge.Public + "/acme/photo.jpg?fm=jpeg&w="
	url1x, url2x := base+"200", base+"400"
	page := imagePage(t, fmt.Sprintf(`<img id="photo" src="%[1]s" srcset="%[1]s 200w, %[2]s 400w" sizes="200px">`, url1x, url2x))

	for _, c := range []struct {
		dpr        float64
		want, skip string
	}{{1, url1x, url2x}, {2, url2x, url1x}} {
		browser := testenv.Browser(t) // a fresh browser: no memory of the other width
		w := watchNetwork(t, browser, true)
		ctx, cancel := context.WithTimeout(browser, 60*time.Second)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(800, 600, chromedp.EmulateScale(c.dpr))); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(page.URL)); err != nil {
			t.Fatalf("navigate: %v", err)
		}
		width, src, err := loadedWidth(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		x, ok := w.last(c.want)
		if src != c.want || !ok || x.resp.Status != 200 || width != 200 {
			t.Errorf("DPR %v: currentSrc %q, fetched %s: %v, layout width %d; want %s at 200 CSS px", c.dpr, src, c.want, ok, width, c.want)
		}
		if _, fetched := w.last(c.skip); fetched {
			t.Errorf("DPR %v: the browser also fetched %s", c.dpr, c.skip)
		}
	}
	if got := jpegWidth(t, url2x); got != 400 {
		t.Errorf("%s is %d px wide, want 400", url2x, got)
	}
}
