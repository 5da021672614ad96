package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pixcdn/bench"
)

func startSink(t *testing.T) string {
	t.Helper()
	sink, err := bench.NewSink(1024)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sink.Serve(ln) }()
	t.Cleanup(func() {
		_ = sink.Close()
		<-done
	})
	return "http://" + ln.Addr().String()
}

func TestBenchRunsAndPrintsJSON(t *testing.T) {
	s := defaultBenchSettings()
	s.Targets = []string{startSink(t)}
	s.Requests, s.Duration, s.Connections, s.JSON = 300, 0, 4, true
	var stdout, stderr bytes.Buffer
	if err := runBench(context.Background(), s, &stdout, &stderr); err != nil {
		t.Fatalf("%v (stderr %q)", err, stderr.String())
	}
	var rep bench.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout.String())
	}
	if rep.Requests != 300 || rep.Errors != 0 || rep.Cache[bench.CacheHit] != 300 {
		t.Fatalf("report %+v", rep)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	cases := [][]string{
		{"bench", "--requests", "1"},                                      // no target
		{"bench", "--target", "http://8.8.8.8:80", "--requests", "1"},     // remote
		{"bench", "--target", "http://127.0.0.1:1", "--browsers", "ie=3"}, // unknown browser
		{"bench", "--target", "http://127.0.0.1:1", "--revisit", "2"},     // share out of range
		{"bench", "--target", "http://127.0.0.1:1", "--trace", "/nonexistent"},
		{"bench", "frobnicate"},
		{"bench", "seed"}, // --dir missing
		{"bench", "seed", "--dir", "x", "--sizes", "10"},
	}
	for _, args := range cases {
		var stdout, stderr bytes.Buffer
		if code := runMain(context.Background(), args, &stdout, &stderr); code != exitUsage {
			t.Errorf("pixcdn %v: exit %d (stderr %q), want %d", args, code, stderr.String(), exitUsage)
		}
	}
}

func TestBenchSeedWritesCorpus(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "seed", "--dir", dir, "--images", "3", "--sizes", "40x30", "--format", "png"}
	if code := runMain(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for i := range 3 {
		if _, err := os.Stat(filepath.Join(dir, "bench", bench.ImageID(i, "png"))); err != nil {
			t.Error(err)
		}
	}
}

func TestBenchVariantsAndBrowsersFlags(t *testing.T) {
	vs := splitVariants(joinVariants(bench.DefaultVariants()))
	if strings.Join(vs, "|") != strings.Join(bench.DefaultVariants(), "|") {
		t.Fatalf("variants round trip: %q", vs)
	}
	bs, err := parseBrowsers(browserFlags(bench.DefaultBrowsers()))
	if err != nil || len(bs) != len(bench.DefaultBrowsers()) || bs[0] != bench.DefaultBrowsers()[0] {
		t.Fatalf("browsers round trip: %v, %v", bs, err)
	}
}
