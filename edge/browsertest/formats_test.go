package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"pixcdn/internal/testenv"
)

// imagePage serves an HTML page whose body is body, from another origin
// than the edge's (as a site embedding images would).
func imagePage(t *testing.T, body string) *httptest.Server {
	t.Helper()
	page := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.Header().Set("Cache-Control", "no-store")
		fmt.Fprintf(rw, `<!doctype html><html><head><title>images</title></head><body>%s</body></html>`, body)
	}))
	t.Cleanup(page.Close)
	return page
}

// loadedWidth waits until the page's <img id="photo"> has loaded and
// returns its naturalWidth and currentSrc; width -1 when it failed to load
// (a format the browser cannot decode, say).
func loadedWidth(ctx context.Context) (int, string, error) {
	type loaded struct {
		Width int    `json:"width"`
		Src   string `json:"src"`
	}
	l, err := chromedp.Run(ctx, chromedp.Evaluate[loaded](`new Promise(done => {
		const img = document.getElementById("photo");
		const report = () => done({width: img.naturalWidth || -1, src: img.currentSrc});
		if (img.complete) { report(); return; }
		img.onload = report;
		img.onerror = () => done({width: -1, src: img.currentSrc});
	})`, chromedp.EvalAwaitPromise))
	return l.Width, l.Src, err
}

// TestImgOfAnAutoFormatURLFollowsTheBrowsersAccept: Chromium loads
// <img src="…?w=300"> (fm=auto by default) from a real edge whose format
// order is jxl, avif, webp, with its own image Accept and then with Accept
// overridden to leave out JPEG XL, then AVIF. Each time the response the
// browser got (read from the DevTools network events) is the first
// format of that order the Accept lists — JPEG XL, AVIF, WebP — with Vary:
// Accept, and the browser decodes it at 300 px wide. A slow format's first
// answer may be the cheaper stand-in (format budgets); the page is loaded
// again until the real one arrives.
func TestImgOfAnAutoFormatURLFollowsTheBrowsersAccept(t *testing.T) {
	testenv.SkipIfShort(t, "starts a pixcdn edge process and Chromium")
	edge := testenv.StartLoneEdge(t, "formats", "dir:"+writePhoto(t), "--format-order", "jxl,avif,webp")
	edge.WaitReady(t, 60*time.Second)
	imgURL := "http://" + edge.Public + "/acme/photo.jpg?w=300"
	page := imagePage(t, fmt.Sprintf(`<img id="photo" src="%s">`, imgURL))

	browser := testenv.Browser(t)
	w := watchNetwork(t, browser, true)
	ctx, cancel := context.WithTimeout(browser, 120*time.Second)
	defer cancel()
	for _, c := range []struct {
		accept string // "" for Chromium's own
		want   string
	}{
		{"", "image/jxl"},
		{"image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "image/avif"},
		{"image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "image/webp"},
	} {
		headers := network.Headers{}
		if c.accept != "" {
			headers["Accept"] = c.accept
		}
		if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: headers}); err != nil {
			t.Fatal(err)
		}
		var got string
		for attempt := 0; ; attempt++ {
			if err := chromedp.Do(ctx, chromedp.Navigate(page.URL)); err != nil {
				t.Fatalf("navigate: %v", err)
			}
			width, _, err := loadedWidth(ctx)
			if err != nil {
				t.Fatal(err)
			}
			x, ok := w.last(imgURL)
			if !ok {
				t.Fatalf("no response for %s among the browser's network events", imgURL)
			}
			got = testenv.BrowserHeader(x.resp.Headers, "Content-Type")
			accept := testenv.BrowserHeader(x.sent, "Accept")
			if c.accept != "" && accept != c.accept {
				t.Fatalf("the image request carried Accept %q, want the override %q", accept, c.accept)
			}
			if x.resp.Status != 200 || testenv.BrowserHeader(x.resp.Headers, "Vary") != "Accept" || width != 300 {
				t.Fatalf("Accept %q: %d %s, Vary %q, decoded width %d (want 200, Vary: Accept, 300 px)",
					accept, x.resp.Status, got, testenv.BrowserHeader(x.resp.Headers, "Vary"), width)
			}
			if got == c.want {
				t.Logf("Accept %q → %s (%d attempts)", accept, got, attempt+1)
				break
			}
			if got != "image/webp" || attempt >= 100 || ctx.Err() != nil { // WebP: the stand-in
				t.Fatalf("Accept %q: got %s after %d loads, want %s", accept, got, attempt+1, c.want)
			}
			time.Sleep(200 * time.Millisecond) // the stand-in; the slow format is being made
		}
	}
}
