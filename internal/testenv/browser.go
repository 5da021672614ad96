package testenv

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Browser starts a headless Chromium (Debian's chromium package) with a
// fresh profile and returns a chromedp context for one tab in it, ready
// for chromedp.Run. The browser is stopped, and its profile removed, when
// the test ends. Without a Chromium binary the test fails under CI and is
// skipped otherwise.
//
// Chromium runs as tests here do, as root, so without its sandbox; QUIC,
// background networking, component updates and sync are off, so it talks
// to nothing but the pages a test opens. extra options (flags such as
// ignore-certificate-errors-spki-list) are added to those.
func Browser(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path, err := chromiumPath()
	if err != nil {
		Unavailable(t, "Chromium (Debian package chromium)", err)
	}
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// Registered after t.TempDir, so it runs first: the profile is removed
	// only once the browser has exited.
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser and opens the tab
		t.Fatalf("testenv: start Chromium %s: %v", path, err)
	}
	return ctx
}

// chromiumPath finds Chromium on PATH under the names Debian and other
// distributions give it.
func chromiumPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium or chromium-browser on PATH")
}

// BrowserHeader returns the value of the header name (any case) in h, as
// DevTools network events report headers; "" when absent.
func BrowserHeader(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}
