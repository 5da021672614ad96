package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"pixcdn/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// wantCSP is the Content-Security-Policy of every answer of the public port.
const wantCSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

// script is what each hostile file runs if a browser lets it: it changes
// the title, marks the document and opens an alert.
func script(name string) string {
	return fmt.Sprintf(`document.title = "pwned-%[1]s"; document.documentElement.setAttribute("data-pwned", "%[1]s"); alert("%[1]s");`, name)
}

// hostileFiles are files an origin folder may hold that a browser would
// run script from: an SVG, and an HTML document named like a JPEG.
var hostileFiles = map[string]string{
	"evil.svg": `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>` + script("svg") + `</script></svg>`,
	"evil.jpg": `<!doctype html><html><head></head><body><script>` + script("html") + `</script></body></html>`,
}

// browserWatch records, for one tab, the dialogs that opened and the
// responses the edge sent, from the DevTools protocol's events.
type browserWatch struct {
	mu        sync.Mutex
	dialogs   []string
	responses []*network.Response
}

func watch(t *testing.T, ctx context.Context) *browserWatch {
	t.Helper()
	w := &browserWatch{}
	ctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	responses := chromedp.Events(ctx, network.ResponseReceived)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			w.mu.Lock()
			w.dialogs = append(w.dialogs, ev.Message)
			w.mu.Unlock()
			// The page waits for the dialog; close it so the test goes on.
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{})
		}
	}()
	go func() {
		for ev, err := range responses {
			if err != nil {
				return
			}
			w.mu.Lock()
			w.responses = append(w.responses, ev.Response)
			w.mu.Unlock()
		}
	}()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	// Every load goes to the edge, so each one shows its headers.
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *browserWatch) dialogsOpened() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.dialogs)
}

// responsesFrom returns the responses whose URL starts with prefix.
func (w *browserWatch) responsesFrom(prefix string) []*network.Response {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*network.Response
	for _, r := range w.responses {
		if strings.HasPrefix(r.URL, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// pwnedMarks walks a DOM tree, iframe documents included, and returns the
// marks a hostile script leaves: a data-pwned attribute or a changed title.
func pwnedMarks(n *cdp.Node) []string {
	if n == nil {
		return nil
	}
	var marks []string
	for i := 0; i+1 < len(n.Attributes); i += 2 {
		if n.Attributes[i] == "data-pwned" {
			marks = append(marks, n.NodeName+" data-pwned="+n.Attributes[i+1])
		}
	}
	if strings.EqualFold(n.NodeName, "title") {
		for _, c := range n.Children {
			if strings.Contains(c.NodeValue, "pwned") {
				marks = append(marks, "title "+c.NodeValue)
			}
		}
	}
	kids := append(slices.Clone(n.Children), n.ContentDocument, n.TemplateContent)
	for _, c := range append(kids, n.ShadowRoots...) {
		marks = append(marks, pwnedMarks(c)...)
	}
	return marks
}

// documentMarks returns the marks of hostile script in the tab's whole
// document (see pwnedMarks).
func documentMarks(ctx context.Context) ([]string, error) {
	depth, pierce := int64(-1), true
	doc, err := chromedp.Call(ctx, dom.GetDocument, dom.GetDocumentParams{Depth: &depth, Pierce: &pierce})
	if err != nil {
		return nil, err
	}
	return pwnedMarks(doc.Root), nil
}

func writeOrigin(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "acme")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range hostileFiles {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var photo bytes.Buffer
	if err := jpeg.Encode(&photo, image.NewRGBA(image.Rect(0, 0, 16, 16)), nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "photo.jpg"), photo.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestHostileFilesInADirOriginRunNoScript: an SVG with a script and an
// HTML document named .jpg in a dir: origin are opened by headless
// Chromium straight from a real edge process, and from a page of another
// origin through <img>, <iframe>, <object> and <embed>. No dialog opens,
// no document gets the script's marks, and every answer of the edge that
// the browser saw carries the CSP. A real photo next to them loads, so
// the browser did reach the edge.
func TestHostileFilesInADirOriginRunNoScript(t *testing.T) {
	testenv.SkipIfShort(t, "starts a pixcdn edge process and Chromium")
	edge := testenv.StartLoneEdge(t, "xss", "dir:"+writeOrigin(t))
	edge.WaitReady(t, 60*time.Second)
	base := "http://" + edge.Public + "/acme/"

	browser := testenv.Browser(t)
	w := watch(t, browser)
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()

	for name := range hostileFiles {
		url := base + name
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatalf("navigate to %s: %v", url, err)
		}
		title, err := chromedp.Run(ctx, chromedp.Title())
		if err != nil {
			t.Fatal(err)
		}
		marks, err := documentMarks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(title, "pwned") || len(marks) > 0 {
			t.Errorf("opened %s: title %q, marks %q: its script ran", url, title, marks)
		}
	}

	host := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		var b strings.Builder
		b.WriteString(`<!doctype html><html><head><title>host page</title></head><body>`)
		fmt.Fprintf(&b, `<img id="photo" src="%sphoto.jpg">`, base)
		for name := range hostileFiles {
			u := base + name
			fmt.Fprintf(&b, `<img src="%[1]s"><iframe src="%[1]s"></iframe><object data="%[1]s"></object><embed src="%[1]s">`, u)
		}
		b.WriteString(`</body></html>`)
		rw.Write([]byte(b.String()))
	}))
	defer host.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL)); err != nil {
		t.Fatalf("navigate to the host page: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	marks, err := documentMarks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if title != "host page" || len(marks) > 0 {
		t.Errorf("host page embedding the files: title %q, marks %q: a script ran", title, marks)
	}
	photoWidth, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementById("photo").naturalWidth`))
	if err != nil || photoWidth != 16 {
		t.Errorf("the photo from the edge did not load in the host page: width %d, %v", photoWidth, err)
	}

	if got := w.dialogsOpened(); len(got) > 0 {
		t.Errorf("dialogs opened: %q", got)
	}
	seen := map[string]int{}
	for _, r := range w.responsesFrom(base) {
		name := strings.TrimPrefix(r.URL, base)
		seen[name]++
		if got := testenv.BrowserHeader(r.Headers, "Content-Security-Policy"); got != wantCSP {
			t.Errorf("%s (%d, %s): Content-Security-Policy %q, want %q", r.URL, r.Status, r.MimeType, got, wantCSP)
		}
		if _, hostile := hostileFiles[name]; hostile && r.Status < 400 {
			t.Errorf("%s: %d %s, want it refused", r.URL, r.Status, testenv.BrowserHeader(r.Headers, "Content-Type"))
		}
	}
	for _, name := range []string{"evil.svg", "evil.jpg", "photo.jpg"} {
		if seen[name] == 0 {
			t.Errorf("no response for %s%s among the browser's network events (%v)", base, name, seen)
		}
	}
}
