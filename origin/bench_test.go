package origin_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"image"
	"image/png"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pixcdn/origin/client"
)

// noisePNG returns an incompressible PNG of about size bytes.
func noisePNG(b testing.TB, size int) []byte {
	side := 1
	for side*side*4 < size {
		side++
	}
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	_, _ = rand.Read(img.Pix)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.NoCompression}
	if err := enc.Encode(&buf, img); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// unique returns base with n appended after the image's end: the probe
// ignores it, the SHA-256 does not, so no upload is de-duplicated.
func unique(base []byte, n uint64) []byte {
	out := make([]byte, len(base), len(base)+8)
	copy(out, base)
	return binary.BigEndian.AppendUint64(out, n)
}

// benchClient keeps enough idle connections for every parallel worker
// (http.DefaultClient keeps 2 per host, so most requests would dial).
var benchClient = func() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: tr}
}()

func put(b *testing.B, h *harness, key, path string, body []byte) {
	req, _ := http.NewRequest("PUT", h.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := benchClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		b.Fatalf("PUT %s = %d", path, resp.StatusCode)
	}
}

// BenchmarkUpload5MB: PUT of distinct 5 MB PNGs through HTTP, spool, probe,
// MinIO and the PostgreSQL commit; 4 uploaders in parallel.
func BenchmarkUpload5MB(b *testing.B) {
	h := newHarness(b)
	_, editor, _ := h.tenant("acme")
	base := noisePNG(b, 5<<20)
	var n atomic.Uint64
	b.SetBytes(int64(len(base)))
	b.SetParallelism(2) // 2 × GOMAXPROCS uploaders
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			put(b, h, editor, sprintf("/v1/acme/images/big-%d.png", i%16), unique(base, i))
		}
	})
}

// BenchmarkUpload50KB: PUT of distinct 50 KB PNGs, 8 × GOMAXPROCS
// uploaders; reports requests per second.
func BenchmarkUpload50KB(b *testing.B) {
	h := newHarness(b)
	_, editor, _ := h.tenant("acme")
	base := noisePNG(b, 50<<10)
	var n atomic.Uint64
	b.SetBytes(int64(len(base)))
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			put(b, h, editor, sprintf("/v1/acme/images/small-%d.png", i%64), unique(base, i))
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkGetOriginal50KB: GET of 50 KB originals with an edge key,
// concurrent; reports requests per second.
func BenchmarkGetOriginal50KB(b *testing.B) {
	h := newHarness(b)
	_, editor, _ := h.tenant("acme")
	edge := h.systemKey("edge")
	base := noisePNG(b, 50<<10)
	const images = 32
	for i := range images {
		put(b, h, editor, sprintf("/v1/acme/images/small-%d.png", i), unique(base, uint64(i)))
	}
	hc := benchClient
	var n atomic.Uint64
	b.SetBytes(int64(len(base)))
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", sprintf("%s/v1/acme/originals/small-%d.png", h.srv.URL, n.Add(1)%images), nil)
			req.Header.Set("Authorization", "Bearer "+edge)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			got, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || got != int64(len(base))+8 {
				b.Fatalf("GET = %d, %d bytes", resp.StatusCode, got)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkEventDelivery: one purge at a time; a follower long-polling
// through origin/client measures event commit (its "at", the database
// clock on this host) → received. Reports p50 and p99.
func BenchmarkEventDelivery(b *testing.B) {
	h := newHarness(b)
	_, editor, _ := h.tenant("acme")
	c, err := client.New(client.Config{BaseURL: h.srv.URL, Key: adminKey, Timeout: 5 * time.Second, MaxBytes: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lags := make(chan time.Duration, b.N+1)
	go func() {
		after := int64(0)
		for ctx.Err() == nil {
			evs, _ := c.Events(ctx, after, 25*time.Second)
			now := time.Now()
			for _, ev := range evs {
				lags <- now.Sub(ev.At)
				after = ev.Seq
			}
		}
	}()
	b.ResetTimer()
	var all []time.Duration
	for range b.N {
		code, _, body := h.do("POST", "/v1/acme/purge", editor, strings.NewReader(`{"prefix":"cats/"}`))
		if code != http.StatusAccepted {
			b.Fatalf("purge = %d %s", code, body)
		}
		select {
		case lag := <-lags:
			all = append(all, lag)
		case <-time.After(10 * time.Second):
			b.Fatal("event not delivered within 10s")
		}
	}
	b.StopTimer()
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}
