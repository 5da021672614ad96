package clustertest

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// writeJPEG writes a w×h gradient JPEG to root/tenant/name.
func writeJPEG(t *testing.T, root, tenant, name string, w, h int, shade uint8) {
	t.Helper()
	path := filepath.Join(root, tenant, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, gradientJPEG(t, w, h, shade), 0o644); err != nil {
		t.Fatal(err)
	}
}

// gradientJPEG encodes a w×h gradient whose blue channel is shade.
func gradientJPEG(t *testing.T, w, h int, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), shade, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func startCluster(t *testing.T, args ...string) (*testenv.EdgeCluster, string) {
	t.Helper()
	root := t.TempDir()
	writeJPEG(t, root, "acme", "photos/big.jpg", 1200, 800, 60)
	c := testenv.StartEdgeCluster(t, testenv.EdgeClusterConfig{Nodes: 3, Origin: "dir:" + root, Args: args})
	return c, root
}

var client = &http.Client{
	Timeout:   20 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 400, MaxConnsPerHost: 400},
}

type answer struct {
	code  int
	body  []byte
	etag  string
	cache string // X-Cache
	err   error
}

func get(url string) answer { return getAccept(url, "image/webp,*/*") }

// getAccept is get with the given Accept header.
func getAccept(url, accept string) answer {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", accept)
	resp, err := client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return answer{code: resp.StatusCode, body: body, etag: resp.Header.Get("ETag"), cache: resp.Header.Get("X-Cache"), err: err}
}

// TestOneFillPerVariantClusterWide: 1,000 concurrent requests for one new
// variant, spread over three nodes, cause one origin fetch and one
// transform in the whole cluster (read from the nodes' metrics).
func TestOneFillPerVariantClusterWide(t *testing.T) {
	c, _ := startCluster(t)
	const n = 1000
	var wg sync.WaitGroup
	answers := make([]answer, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i] = get(c.Nodes[i%3].URL("/acme/photos/big.jpg?w=320&h=240&fit=cover"))
		}()
	}
	close(start)
	wg.Wait()
	for i, a := range answers {
		if a.err != nil || a.code != 200 || a.etag != answers[0].etag || !bytes.Equal(a.body, answers[0].body) {
			t.Fatalf("request %d: %d %v (etag %q vs %q)", i, a.code, a.err, a.etag, answers[0].etag)
		}
	}
	fetches := c.Sum(t, "pixcdn_origin_fetches_total", `result="ok"`)
	transforms := c.Sum(t, "pixcdn_transforms_total")
	t.Logf("%d requests: %v origin fetches, %v transforms, peer forwards ok=%v fallback=%v", n, fetches, transforms,
		c.Sum(t, "pixcdn_peer_forwards_total", `result="ok"`), c.Sum(t, "pixcdn_peer_forwards_total", `result="fallback"`))
	if fetches != 1 || transforms != 1 {
		t.Fatalf("origin fetches %v, transforms %v; want 1 and 1", fetches, transforms)
	}
	// A new size of the known image costs a transform but no origin fetch.
	if a := get(c.Nodes[1].URL("/acme/photos/big.jpg?w=100")); a.code != 200 {
		t.Fatalf("second variant: %d %v", a.code, a.err)
	}
	if f := c.Sum(t, "pixcdn_origin_fetches_total", `result="ok"`); f != 1 {
		t.Fatalf("origin fetches after a second variant: %v, want 1", f)
	}
}

// TestPurgeOnOneNodeReachesAll: the image changes at the origin, a purge is
// posted to one node, and every node then serves the new bytes.
func TestPurgeOnOneNodeReachesAll(t *testing.T) {
	c, root := startCluster(t)
	const path = "/acme/photos/big.jpg?w=200"
	before := get(c.Nodes[0].URL(path))
	if before.code != 200 {
		t.Fatalf("warm-up: %d %v", before.code, before.err)
	}
	for _, n := range c.Nodes {
		if a := get(n.URL(path)); a.etag != before.etag {
			t.Fatalf("%s serves %q before the change, want %q", n.Name, a.etag, before.etag)
		}
	}
	writeJPEG(t, root, "acme", "photos/big.jpg", 1200, 800, 200)
	purge(t, c, 1, `{"tenant":"acme","ids":["photos/big.jpg"],"seq":1,"at":"`+time.Now().Format(time.RFC3339Nano)+`"}`)
	for _, n := range c.Nodes {
		if a := get(n.URL(path)); a.code != 200 || a.etag == before.etag {
			t.Fatalf("%s after purge: %d etag %q (old %q)", n.Name, a.code, a.etag, before.etag)
		}
	}
}
