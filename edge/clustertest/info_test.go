package clustertest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pixcdn/edge/imageinfo"
	"pixcdn/internal/testenv"
)

// splitImage is a w×h image whose left three quarters are left and whose
// right quarter is right.
func splitImage(w, h int, left, right color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := left
			if x >= w*3/4 {
				c = right
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// orientedJPEG encodes img as a JPEG whose Exif says to rotate it 90°
// clockwise for display (orientation 6).
func orientedJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00*")
	// One IFD at offset 8 with one entry: tag 0x0112 (orientation), SHORT, count 1, value 6.
	for _, v := range []any{uint32(8), uint16(1), uint16(0x0112), uint16(3), uint32(1), uint16(6), uint16(0), uint32(0)} {
		if err := binary.Write(&tiff, binary.BigEndian, v); err != nil {
			t.Fatal(err)
		}
	}
	app1 := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var out bytes.Buffer
	out.Write(enc.Bytes()[:2]) // start of image
	out.Write([]byte{0xff, 0xe1})
	binary.Write(&out, binary.BigEndian, uint16(len(app1)+2))
	out.Write(app1)
	out.Write(enc.Bytes()[2:])
	return out.Bytes()
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func getInfo(t *testing.T, url string) (imageinfo.Info, answer) {
	t.Helper()
	a := get(url)
	if a.err != nil || a.code != 200 {
		t.Fatalf("%s: %d %v %s", url, a.code, a.err, a.body)
	}
	var info imageinfo.Info
	if err := json.Unmarshal(a.body, &info); err != nil {
		t.Fatalf("%s: %q: %v", url, a.body, err)
	}
	return info, a
}

// near reports whether hex ("#rrggbb") is within 40 of want in every channel.
func near(hex string, want color.NRGBA) bool {
	var r, g, b uint8
	if _, err := fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return false
	}
	d := func(a, b uint8) bool { return max(a, b)-min(a, b) <= 40 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

var (
	infoRed  = color.NRGBA{220, 30, 30, 255}
	infoBlue = color.NRGBA{30, 30, 220, 255}
)

// TestImageInfoAcrossTheCluster: real edge processes with libvips describe
// a real 2400×1600 JPEG stored rotated (Exif orientation 6): every node
// answers the same JSON with the same ETag (one transform cluster-wide) —
// the size as displayed, the orientation, the bytes of the file, red as
// the dominant colour at about three quarters, and a placeholder PNG of at
// most 16 px a side. After the file changes and a purge is posted to one
// node, every node describes the new image. A PNG with transparency says
// so.
func TestImageInfoAcrossTheCluster(t *testing.T) {
	root := t.TempDir()
	photo := orientedJPEG(t, splitImage(2400, 1600, infoRed, infoBlue))
	writeFile(t, filepath.Join(root, "acme", "info", "photo.jpg"), photo)
	clear := color.NRGBA{0, 0, 0, 0}
	var alpha bytes.Buffer
	if err := png.Encode(&alpha, splitImage(300, 200, infoBlue, clear)); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "acme", "info", "alpha.png"), alpha.Bytes())
	c := testenv.StartEdgeCluster(t, testenv.EdgeClusterConfig{Nodes: 3, Origin: "dir:" + root})

	const path = "/acme/info/photo.jpg?info"
	info, first := getInfo(t, c.Nodes[0].URL(path))
	if info.Width != 1600 || info.Height != 2400 || info.Orientation != 6 || info.Format != "jpeg" ||
		info.Bytes != len(photo) || info.HasAlpha || info.Frames != 1 {
		t.Errorf("info %+v, want 1600×2400 jpeg, orientation 6, %d bytes, no alpha", info, len(photo))
	}
	if len(info.Dominant) < 2 || !near(info.Dominant[0].Hex, infoRed) || info.Dominant[0].Share < 0.65 || info.Dominant[0].Share > 0.85 {
		t.Errorf("dominant %v, want red first at about 0.75", info.Dominant)
	}
	checkPlaceholder(t, info.Placeholder, 11, 16)
	for _, n := range c.Nodes {
		_, a := getInfo(t, n.URL(path))
		if a.etag != first.etag || !bytes.Equal(a.body, first.body) {
			t.Errorf("%s: ETag %q and body differ from %q", n.Name, a.etag, first.etag)
		}
		resp, err := client.Get(n.URL(path))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s (X-Cache %s): Access-Control-Allow-Origin %q, Content-Type %q", n.Name, resp.Header.Get("X-Cache"), got, resp.Header.Get("Content-Type"))
		}
	}
	if tr := c.Sum(t, "pixcdn_transforms_total", `format="info"`); tr != 1 {
		t.Errorf("info transforms cluster-wide: %v, want 1", tr)
	}

	writeFile(t, filepath.Join(root, "acme", "info", "photo.jpg"), orientedJPEG(t, splitImage(2400, 1600, infoBlue, infoRed)))
	purge(t, c, 1, `{"tenant":"acme","ids":["info/photo.jpg"],"seq":1,"at":"`+time.Now().Format(time.RFC3339Nano)+`"}`)
	for _, n := range c.Nodes {
		after, a := getInfo(t, n.URL(path))
		if a.etag == first.etag || len(after.Dominant) == 0 || !near(after.Dominant[0].Hex, infoBlue) {
			t.Errorf("%s after the purge: ETag %q (before %q), dominant %v", n.Name, a.etag, first.etag, after.Dominant)
		}
	}

	withAlpha, _ := getInfo(t, c.Nodes[2].URL("/acme/info/alpha.png?info"))
	if !withAlpha.HasAlpha || withAlpha.Format != "png" || withAlpha.Width != 300 || len(withAlpha.Dominant) != 1 || !near(withAlpha.Dominant[0].Hex, infoBlue) {
		t.Errorf("alpha PNG info %+v", withAlpha)
	}
}

// purge posts body to the /_purge of c's node i and waits until every
// node applied it (its purge lag count grew).
func purge(t *testing.T, c *testenv.EdgeCluster, i int, body string) {
	t.Helper()
	before := make([]float64, len(c.Nodes))
	for j, n := range c.Nodes {
		before[j] = n.Metric(t, "pixcdn_purge_lag_seconds_count")
	}
	req, _ := http.NewRequest("POST", "http://"+c.Nodes[i].Internal+"/_purge", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testenv.EdgePurgeToken)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("purge: %v %v", resp, err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(20 * time.Second)
	for j, n := range c.Nodes {
		for n.Metric(t, "pixcdn_purge_lag_seconds_count") <= before[j] {
			if time.Now().After(deadline) {
				t.Fatalf("%s never applied the purge", n.Name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func checkPlaceholder(t *testing.T, p imageinfo.Placeholder, w, h int) {
	t.Helper()
	b64, ok := strings.CutPrefix(p.DataURI, "data:image/png;base64,")
	raw, err := base64.StdEncoding.DecodeString(b64)
	if !ok || err != nil {
		t.Fatalf("placeholder %q: not a PNG data URI (%v)", p.DataURI, err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("placeholder PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h || p.Width != w || p.Height != h {
		t.Errorf("placeholder %d×%d (PNG %v), want %d×%d", p.Width, p.Height, b, w, h)
	}
	t.Logf("placeholder: %d×%d, PNG %d bytes, data URI %d bytes", w, h, len(raw), len(p.DataURI))
}
