package bench

import (
	"context"
	"net"
	"testing"
)

func TestEngineAgainstSink(t *testing.T) {
	sink, err := NewSink(8 << 10)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- sink.Serve(ln) }()
	cfg := testConfig("http://" + ln.Addr().String())
	cfg.Requests = 2000
	rep, err := Run(context.Background(), cfg, smallSynthetic(t))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Responses != 2000 || rep.Cache[CacheHit] != 2000 || rep.HitRatio == nil || *rep.HitRatio != 1 {
		t.Errorf("responses %d x-cache %v", rep.Responses, rep.Cache)
	}
	if rep.NotModified == 0 || rep.NotModified != rep.Conditional {
		t.Errorf("%d conditional, %d 304: every revisit with the sink's ETag must get 304", rep.Conditional, rep.NotModified)
	}
	if rep.Bytes != (rep.Status["200"])*(8<<10) {
		t.Errorf("bytes %d for %d 200s", rep.Bytes, rep.Status["200"])
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after Close: %v", err)
	}
	if err := sink.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
