package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

const (
	tenant  = "acme"
	signKey = "test-sign-key-0123456789abcdef"
	// cutAfter is where the proxy cuts the photo's upload, in bytes.
	cutAfter = 1 << 20
)

// consoleStack is an origin serving the console and one edge serving its
// thumbnails, the edge following the origin's event feed and its pushes.
type consoleStack struct {
	origin    *testenv.OriginStack
	edge      *testenv.EdgeNode
	edgeURL   string // http://127.0.0.1:PORT
	editorKey string
	// The browser reaches the origin through proxy, at consoleURL
	// (PROXY/console/).
	proxy      *cutProxy
	consoleURL string
}

func startConsoleStack(t *testing.T) *consoleStack {
	t.Helper()
	assets := consoleAssets(t)
	o := testenv.StartOriginStack(t)
	o.CreateTenant(t, tenant)
	edgeKey := o.EdgeKey(t)
	e := testenv.StartLoneEdge(t, "edge1", o.URL, "--origin-key", edgeKey, "--sign-key", signKey)
	e.WaitReady(t, 60*time.Second)
	s := &consoleStack{origin: o, edge: e, edgeURL: "http://" + e.Public}
	o.RestartWith(t, "--console-edge-url", s.edgeURL, "--console-assets", assets, "--sign-key", signKey,
		"--edges", "http://"+e.Internal, "--purge-token", testenv.EdgePurgeToken)
	code, answer := o.Call(t, http.MethodPost, "/v1/"+tenant+"/keys", []byte(`{"role":"editor"}`))
	var key struct{ Key string }
	if code != http.StatusCreated || json.Unmarshal(answer, &key) != nil || key.Key == "" {
		t.Fatalf("editor key: %d %s", code, answer)
	}
	s.editorKey = key.Key
	s.proxy = startCutProxy(t, o.URL, cutAfter)
	s.consoleURL = s.proxy.URL + "/console/"
	return s
}

// cutProxy forwards the browser's requests to the origin. Once armed, it
// holds the next tus PATCH whose body exceeds cutAfter bytes: it forwards
// the body's first cutAfter bytes and signals the hold's arrived; when the
// test cuts the hold (or the browser gives the request up) it ends the
// request to the origin there, so the origin keeps exactly cutAfter bytes,
// and drops the browser's connection in the middle of the answer. The
// test decides when, so it can take the browser offline first.
type cutProxy struct {
	*httptest.Server
	cutAfter int64
	mu       sync.Mutex
	armed    *hold   // the hold for the next large PATCH; nil: none
	holds    []*hold // every hold, cut when the test ends
}

// hold is one armed cut.
type hold struct {
	arrived    chan struct{} // closed when the first cutAfter bytes went to the origin
	cut        chan struct{}
	arriveOnce sync.Once
	cutOnce    sync.Once
}

// Cut ends the held request.
func (h *hold) Cut() { h.cutOnce.Do(func() { close(h.cut) }) }

// errCut ends the forwarded body of a held request.
var errCut = errors.New("connection cut by the test")

func startCutProxy(t *testing.T, origin string, cutAfter int64) *cutProxy {
	t.Helper()
	target, err := url.Parse(origin)
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{cutAfter: cutAfter}
	forward := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host // tus Location headers name the proxy
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, errCut) || errors.Is(r.Context().Err(), context.Canceled) {
				dropConnection(w)
				return
			}
			http.Error(w, err.Error(), http.StatusBadGateway)
		},
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch && r.ContentLength > cutAfter {
			p.mu.Lock()
			h := p.armed
			p.armed = nil
			p.mu.Unlock()
			if h != nil {
				r.Body = &cutBody{ReadCloser: r.Body, left: cutAfter, h: h, done: r.Context().Done()}
			}
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	t.Cleanup(func() { // runs first: no handler stays blocked
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, h := range p.holds {
			h.Cut()
		}
	})
	return p
}

// arm makes the next large PATCH a held one and returns its hold.
func (p *cutProxy) arm() *hold {
	h := &hold{arrived: make(chan struct{}), cut: make(chan struct{})}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed = h
	p.holds = append(p.holds, h)
	return h
}

// cutBody passes left bytes, then waits for the cut (or the end of the
// browser's request) and fails.
type cutBody struct {
	io.ReadCloser
	left int64
	h    *hold
	done <-chan struct{}
}

func (b *cutBody) Read(buf []byte) (int, error) {
	if b.left <= 0 {
		b.h.arriveOnce.Do(func() { close(b.h.arrived) })
		select {
		case <-b.h.cut:
		case <-b.done:
		}
		return 0, errCut
	}
	n, err := b.ReadCloser.Read(buf[:min(int64(len(buf)), b.left)])
	b.left -= int64(n)
	return n, err
}

// dropConnection closes the browser's connection in the middle of an
// answer: a head promising a body that never comes. (Closing before any
// answer would make Chromium send the request again by itself, as it does
// when a reused connection closes.)
func dropConnection(w http.ResponseWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	_, _ = buf.WriteString("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\ncut")
	_ = buf.Flush()
	conn.Close()
}

// repoRoot is the module's root folder.
func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// consoleAssets is the repository's origin/console/npm, where `make deps`
// installs tus-js-client; without it the test fails under CI.
func consoleAssets(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "origin", "console", "npm")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "tus-js-client", "dist", "tus.min.js")); err != nil {
		testenv.Unavailable(t, "tus-js-client (npm ci in origin/console/npm)", err)
	}
	return dir
}

// original returns the bytes the origin stores for id.
func (s *consoleStack) original(t *testing.T, id string) []byte {
	t.Helper()
	code, body := s.origin.Call(t, http.MethodGet, "/v1/"+tenant+"/originals/"+id, nil)
	if code != http.StatusOK {
		t.Fatalf("original %s: %d %.200s", id, code, body)
	}
	return body
}

// edgeGet fetches path from the edge and returns the status and X-Cache.
func (s *consoleStack) edgeGet(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(s.edgeURL + path)
	if err != nil {
		t.Fatalf("edge GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Cache")
}

// photo returns a w×h JPEG that looks like a landscape (sky, hills) with
// a strong grain, so that it weighs what a camera photo does: 2000×1350
// makes about 2.5 MB. (Grain from a table: image/jpeg under -race is slow
// enough.)
func photo(w, h int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	const mask = 1<<16 - 1
	grain := make([]float64, mask+1)
	for i := range grain {
		grain[i] = float64(rng.IntN(97) - 48)
	}
	ridge := make([]float64, w)
	phase := float64(seed%7) / 3
	for x := range w {
		fx := float64(x) / float64(w)
		ridge[x] = 0.55 + 0.08*math.Sin(fx*9+phase) + 0.04*math.Sin(fx*23+2*phase)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	k := int(seed)
	for y := range h {
		fy := float64(y) / float64(h)
		for x := range w {
			r, g, b := 90+120*fy, 150+80*fy, 235-20*fy // sky
			if fy >= ridge[x] {
				d := (fy - ridge[x]) / (1 - ridge[x])
				r, g, b = 60+50*d, 110-40*d, 50+20*d // hills
			}
			k = (k*1103515245 + 12345) & mask
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] =
				clamp(r+grain[k]), clamp(g+grain[(k+1)&mask]), clamp(b+grain[(k+2)&mask]), 255
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 97}) // a bytes.Buffer takes any write
	return buf.Bytes()
}

func clamp(v float64) uint8 { return uint8(max(0, min(255, v))) }

// swatch returns a small PNG of one colour with a darker band.
func swatch(t *testing.T, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			p := c
			if (x+y)/40%2 == 0 {
				p = color.RGBA{c.R / 2, c.G / 2, c.B / 2, 255}
			}
			img.Set(x, y, p)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// hue is a saturated colour at h (0..1) around the colour wheel.
func hue(h float64) color.RGBA {
	c := func(offset float64) uint8 {
		x := math.Abs(math.Mod(h*6+offset, 6) - 3)
		return uint8(60 + 170*max(0, min(1, x-1)))
	}
	return color.RGBA{c(0), c(4), c(2), 255}
}

// screenshotDir is where screenshots go when PIXCDN_SCREENSHOTS=1: the
// repository's docs/screenshots; "" otherwise.
func screenshotDir(t *testing.T) string {
	t.Helper()
	if os.Getenv("PIXCDN_SCREENSHOTS") != "1" {
		return ""
	}
	dir := filepath.Join(repoRoot(t), "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
