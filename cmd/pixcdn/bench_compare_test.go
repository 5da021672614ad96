package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pixcdn/bench"
	"pixcdn/internal/testenv"
)

// thumborURL matches the thumbor dialect: /unsafe/[fit-in/]WxH/[filters:…/]TENANT/ID,
// or /unsafe/TENANT/ID for an original.
var thumborURL = regexp.MustCompile(`^/unsafe/(?:(?:fit-in/)?\d+x\d+/)?(?:filters:[a-z]+\([a-z0-9]+\)(?::[a-z]+\([a-z0-9]+\))*/)?([a-z0-9-]+/img-\d+\.jpg)$`)

// startThumborLike serves the files under root to thumbor-dialect URLs (as
// they are: it does not resize) and counts requests in any other form.
func startThumborLike(t *testing.T, root string) (url string, served, refused *atomic.Int64) {
	served, refused = new(atomic.Int64), new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := thumborURL.FindStringSubmatch(r.URL.Path)
		if m == nil {
			refused.Add(1)
			http.Error(w, "not a thumbor URL", http.StatusBadRequest)
			return
		}
		served.Add(1)
		http.ServeFile(w, r, filepath.Join(root, m[1]))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, served, refused
}

// pixcdn bench --compare runs the same workload against a real edge and a
// server speaking the thumbor dialect, and writes a JSON report with both
// and PNG charts with a line for each.
func TestBenchCompareAgainstAnEdgeAndAThumborServer(t *testing.T) {
	root := t.TempDir()
	seed := bench.DefaultSeedConfig()
	seed.Dir, seed.Images, seed.Sizes, seed.Workers = root, 12, []bench.Size{{W: 320, H: 240}}, 1
	if _, err := bench.Seed(context.Background(), seed); err != nil {
		t.Fatal(err)
	}
	edge := testenv.StartLoneEdge(t, "bench-edge", "dir:"+root)
	edge.WaitReady(t, 60*time.Second)
	thumbor, served, refused := startThumborLike(t, root)

	s := defaultBenchSettings()
	s.Targets, s.Compare = []string{edge.URL("")}, []string{"thumbor=" + thumbor}
	s.Requests, s.Duration, s.Connections, s.Images, s.Sample = 150, 0, 4, 12, 50*time.Millisecond
	s.Report = filepath.Join(t.TempDir(), "cmp.json")
	var stdout, stderr bytes.Buffer
	if err := runBench(context.Background(), s, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "thumbor") || strings.Contains(stdout.String(), "\033[") {
		t.Errorf("text report (no progress line off a terminal):\n%s", stdout.String())
	}
	data, err := os.ReadFile(s.Report)
	if err != nil {
		t.Fatal(err)
	}
	var cmp bench.Comparison
	if err := json.Unmarshal(data, &cmp); err != nil {
		t.Fatalf("report: %v\n%s", err, data)
	}
	if len(cmp.Runs) != 2 || cmp.Runs[0].Contender.Name != "pixcdn" || cmp.Runs[1].Contender.Name != "thumbor" {
		t.Fatalf("runs: %s", data)
	}
	for _, r := range cmp.Runs {
		if r.Report.Requests != 150 || r.Report.Status["200"]+r.Report.Status["304"] != 150 || len(r.Report.Timeline) == 0 {
			t.Errorf("%s: %d requests, status %v, %d timeline points", r.Contender.Name, r.Report.Requests, r.Report.Status, len(r.Report.Timeline))
		}
	}
	if served.Load() != 150 || refused.Load() != 0 {
		t.Errorf("thumbor server: %d thumbor URLs served, %d other URLs; want 150 and 0", served.Load(), refused.Load())
	}
	for _, chart := range []string{"-throughput.png", "-latency.png"} {
		checkChartLines(t, bench.ChartBase(s.Report)+chart, 2)
	}
}

// checkChartLines decodes a PNG chart and checks it draws the colours of
// its first n lines.
func checkChartLines(t *testing.T, file string, n int) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for i := range n {
		want := color.RGBAModel.Convert(bench.ChartColor(i)).(color.RGBA)
		found := 0
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) == want {
					found++
				}
			}
		}
		if found < 20 {
			t.Errorf("%s: %d pixels of line %d's colour, want a line", file, found, i)
		}
	}
}
