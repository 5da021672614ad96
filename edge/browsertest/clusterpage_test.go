package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pixcdn/internal/testenv"
)

// screenshotDir is where tests save screenshots for the docs, when
// PIXCDN_SCREENSHOTS=1.
const screenshotDir = "../../docs/screenshots"

// saveScreenshot writes png as docs/screenshots/name when
// PIXCDN_SCREENSHOTS=1.
func saveScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	if os.Getenv("PIXCDN_SCREENSHOTS") != "1" {
		return
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(screenshotDir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(png))
}

// trafficRows returns the cells of the cluster page's traffic table.
func trafficRows(ctx context.Context) ([][]string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[[][]string](`Array.from(document.querySelectorAll("#traffic tbody tr"),
		tr => Array.from(tr.cells, td => td.textContent))`))
}

// waitForPage polls the page until cond holds for its traffic rows and
// the number of rows of its members table.
func waitForPage(t *testing.T, ctx context.Context, what string, cond func(rows [][]string, members int) bool) {
	t.Helper()
	for {
		rows, err := trafficRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		members, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#members tbody tr").length`))
		if err != nil {
			t.Fatal(err)
		}
		if cond(rows, members) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the cluster page never showed %s; traffic rows %q, %d members", what, rows, members)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// steadyTraffic requests images from every node until stop is called:
// a few widths, so there are misses, transforms and hits everywhere.
func steadyTraffic(c *testenv.EdgeCluster) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i, n := range c.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; ; j++ {
				select {
				case <-done:
					return
				case <-time.After(30 * time.Millisecond):
				}
				resp, err := http.Get(n.URL(fmt.Sprintf("/acme/photo.jpg?fm=webp&w=%d", 100+(i*7+j)%12)))
				if err == nil {
					resp.Body.Close()
				}
			}
		}()
	}
	return func() { close(done); wg.Wait() }
}

// TestClusterPageIsLive: Chromium opens the /_cluster page of one node of
// a real three-node cluster under steady traffic. Without reloading (the
// document is loaded once, a mark set on it stays), the page shows the
// three members and, for every node, a request rate above zero, read by
// the node from its peers; after a purge posted to another node, every
// node's row shows it applied. With PIXCDN_SCREENSHOTS=1 the page is saved
// as docs/screenshots/cluster.png.
func TestClusterPageIsLive(t *testing.T) {
	testenv.SkipIfShort(t, "starts three pixcdn edge processes and Chromium")
	c := testenv.StartEdgeCluster(t, testenv.EdgeClusterConfig{Nodes: 3, Origin: "dir:" + writePhoto(t)})
	stop := steadyTraffic(c)
	defer stop()
	pageURL := "http://" + c.Nodes[0].Internal + "/_cluster"

	browser := testenv.Browser(t)
	w := watchNetwork(t, browser, true)
	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1100, 860)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatalf("navigate to %s: %v", pageURL, err)
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.pixcdnMark = "loaded once"`)); err != nil {
		t.Fatal(err)
	}
	waitForPage(t, ctx, "three members, each with requests/s above zero", func(rows [][]string, members int) bool {
		busy := 0
		for _, r := range rows {
			if rate, err := strconv.ParseFloat(r[1], 64); len(r) == 7 && err == nil && rate > 0 {
				busy++
			}
		}
		return members == 3 && len(rows) == 3 && busy == 3
	})

	body := `{"tenant":"acme","ids":["photo.jpg"],"seq":1,"at":"` + time.Now().Format(time.RFC3339Nano) + `"}`
	req, _ := http.NewRequest("POST", "http://"+c.Nodes[1].Internal+"/_purge", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testenv.EdgePurgeToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("purge: %v %v", resp, err)
	}
	resp.Body.Close()
	waitForPage(t, ctx, "the purge applied on every node", func(rows [][]string, _ int) bool {
		applied := 0
		for _, r := range rows {
			if len(r) == 7 && r[5] == "1" && r[6] != "—" {
				applied++
			}
		}
		return applied == 3
	})

	resp, err = http.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	var status struct {
		RingVersion uint64 `json:"ring_version"`
	}
	err = json.NewDecoder(resp.Body).Decode(&status)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	versions, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#members tbody tr"), tr => tr.cells[3].textContent)`))
	want := strconv.FormatUint(status.RingVersion, 10)
	if err != nil || len(versions) != 3 || versions[0] != want || versions[1] != want || versions[2] != want {
		t.Errorf("members' ring versions on the page %q (%v), want %s each", versions, err, want)
	}

	mark, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.pixcdnMark || ""`))
	if err != nil || mark != "loaded once" {
		t.Errorf("the page was reloaded: mark %q, %v", mark, err)
	}
	if loads, polls := len(w.all(pageURL)), len(w.all(pageURL+"?scope=cluster")); loads != 1 || polls < 2 {
		t.Errorf("%d loads of the page and %d polls of its JSON; want 1 and several", loads, polls)
	}
	for _, x := range w.all(pageURL) {
		if csp := testenv.BrowserHeader(x.resp.Headers, "Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("page CSP %q", csp)
		}
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "cluster.png", png)
}
