package bench

import (
	"context"
	"net"
	"testing"
	"time"
)

// The engine's own per-request work, without the network.

func BenchmarkHistogramRecord(b *testing.B) {
	h := NewHistogram()
	b.RunParallel(func(pb *testing.PB) {
		v := int64(12345)
		for pb.Next() {
			h.Record(v)
			v = (v*31 + 7) % 50_000_000
		}
	})
}

func BenchmarkSyntheticNext(b *testing.B) {
	cfg := DefaultSyntheticConfig()
	cfg.Images = 100_000
	wl, err := NewSynthetic(cfg)
	if err != nil {
		b.Fatal(err)
	}
	src := wl.NewSource(0)
	var r Request
	b.ReportAllocs()
	for b.Loop() {
		src.Next(&r)
	}
}

func BenchmarkETagStore(b *testing.B) {
	s := newETagStore()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			path := "/bench/img-000042.jpg?w=320"
			if s.get(path, "image/webp") == "" || i%16 == 0 {
				s.put(path, "image/webp", `"abcdef"`)
			}
			i++
		}
	})
}

// BenchmarkRunAgainstSink is the whole loop over loopback: sink and engine
// in one process, so it is a regression guard, not the ceiling (see
// scripts/ceiling.sh for that).
func BenchmarkRunAgainstSink(b *testing.B) {
	for _, client := range []string{ClientFastHTTP, ClientNetHTTP} {
		b.Run(client, func(b *testing.B) {
			sink, _ := NewSink(8 << 10)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go func() { _ = sink.Serve(ln) }()
			defer sink.Close()
			wl, _ := NewSynthetic(DefaultSyntheticConfig())
			cfg := DefaultConfig()
			cfg.Targets = []string{"http://" + ln.Addr().String()}
			cfg.Client, cfg.Duration, cfg.Requests, cfg.Timeout = client, 0, int64(b.N), 5*time.Second
			b.ResetTimer()
			rep, err := Run(context.Background(), cfg, wl)
			if err != nil || rep.Errors > 0 {
				b.Fatalf("%v, %d errors", err, rep.Errors)
			}
			b.ReportMetric(rep.RequestsPerSec, "req/s")
		})
	}
}
