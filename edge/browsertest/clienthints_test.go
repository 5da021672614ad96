package browsertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"image"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pixcdn/internal/testca"
	"pixcdn/internal/testenv"
)

// writePhoto writes an 800×600 JPEG as acme/photo.jpg under a new dir:
// origin root and returns the root.
func writePhoto(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "acme"), 0o755); err != nil {
		t.Fatal(err)
	}
	var photo bytes.Buffer
	if err := jpeg.Encode(&photo, image.NewRGBA(image.Rect(0, 0, 800, 600)), nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "acme", "photo.jpg"), photo.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestBrowserSendsDPRHintOverHTTPS: headless Chromium, at an emulated
// device pixel ratio of 2 and trusting a test CA's certificate, opens an
// HTTPS page that asks for client hints and delegates them to a real edge
// process serving HTTPS. The page's <img src="…?dpr=auto&w=200"> request
// carries Sec-CH-DPR: 2, and the edge answers with a 400 px wide image
// whose Vary names the hint, and with Accept-CH.
func TestBrowserSendsDPRHintOverHTTPS(t *testing.T) {
	testenv.SkipIfShort(t, "starts a pixcdn edge process and Chromium")
	ca := testca.New(t)
	leaf := ca.Issue(t, "127.0.0.1")
	certFile, keyFile := leaf.WriteFiles(t, t.TempDir())
	edge := testenv.StartLoneEdge(t, "hints", "dir:"+writePhoto(t), "--tls-cert", certFile, "--tls-key", keyFile)
	edge.WaitReady(t, 60*time.Second)
	edgeOrigin := "https://" + edge.Public
	imgURL := edgeOrigin + "/acme/photo.jpg?dpr=auto&w=200"

	page := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.Header().Set("Accept-CH", "Sec-CH-DPR, Sec-CH-Width")
		rw.Header().Set("Permissions-Policy", fmt.Sprintf(`ch-dpr=(self %[1]q), ch-width=(self %[1]q)`, edgeOrigin))
		fmt.Fprintf(rw, `<!doctype html><html><head>`+
			`<meta http-equiv="Delegate-CH" content="sec-ch-dpr %[1]s; sec-ch-width %[1]s">`+
			`<title>hints</title></head><body><img id="photo" src="%[2]s"></body></html>`, edgeOrigin, imgURL)
	}))
	page.TLS = leaf.ServerConfig()
	page.StartTLS()
	defer page.Close()

	spki := sha256.Sum256(leaf.Cert.RawSubjectPublicKeyInfo)
	browser := testenv.Browser(t,
		chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))
	w := watchNetwork(t, browser, true)
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(800, 600, chromedp.EmulateScale(2))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(page.URL)); err != nil {
		t.Fatalf("navigate to %s: %v", page.URL, err)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`new Promise(done => {
		const img = document.getElementById("photo");
		if (img.complete) { done(img.naturalWidth); return; }
		img.onload = () => done(img.naturalWidth);
		img.onerror = () => done(-1);
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if width != 400 {
		t.Errorf("the image is %d px wide, want 400 (w=200 at DPR 2)", width)
	}
	x, ok := w.last(imgURL)
	if !ok {
		t.Fatalf("no response for %s among the browser's network events", imgURL)
	}
	sent, resp := x.sent, x.resp
	if got := testenv.BrowserHeader(sent, "Sec-CH-DPR"); got != "2" {
		t.Errorf("the image request carried Sec-CH-DPR %q, want 2 (headers %v)", got, sent)
	}
	if resp.Status != 200 {
		t.Errorf("%s: status %d", imgURL, resp.Status)
	}
	if vary := testenv.BrowserHeader(resp.Headers, "Vary"); !strings.Contains(vary, "Sec-CH-DPR") {
		t.Errorf("Vary %q does not name Sec-CH-DPR", vary)
	}
	if got := testenv.BrowserHeader(resp.Headers, "Accept-CH"); got != "Sec-CH-DPR, Sec-CH-Width, DPR, Width" {
		t.Errorf("Accept-CH %q", got)
	}
}
