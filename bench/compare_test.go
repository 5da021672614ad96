package bench

import (
	"bytes"
	"context"
	"encoding/xml"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Compare replays the same requests against each server in its dialect and
// reports each one; the charts hold one line per server.
func TestCompareRunsEachContenderInItsDialect(t *testing.T) {
	pix, thumbor := startTestEdge(t), startTestEdge(t)
	// 600 requests over 8 connections at 3 ms each take 225 ms or more, so
	// a fast machine still sees several progress calls and chart points.
	pix.latency.Store(int64(3 * time.Millisecond))
	thumbor.latency.Store(int64(3 * time.Millisecond))
	cfg := testConfig()
	cfg.Requests, cfg.SampleInterval = 600, 20*time.Millisecond
	var progressed []string
	cfg.Progress = func(p Progress) { progressed = append(progressed, p.Target) }
	th, err := ParseContender("thumbor=" + thumbor.url)
	if err != nil {
		t.Fatal(err)
	}
	contenders := []Contender{{Name: "pixcdn", Targets: []string{pix.url}, Dialect: Dialect{Name: DialectPixcdn}}, th}
	cmp, err := Compare(context.Background(), cfg, smallSynthetic(t), contenders)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmp.Runs) != 2 || cmp.Runs[0].Contender.Name != "pixcdn" || cmp.Runs[1].Contender.Name != "thumbor" {
		t.Fatalf("runs %+v", cmp.Runs)
	}
	for i, e := range []*testEdge{pix, thumbor} {
		requests, _, _, _, _ := e.tally()
		if rep := cmp.Runs[i].Report; rep.Requests != 600 || requests != 600 || len(rep.Timeline) == 0 {
			t.Errorf("%s: report %d requests, server %d, %d timeline points", cmp.Runs[i].Contender.Name, rep.Requests, requests, len(rep.Timeline))
		}
	}
	for uri := range thumbor.uris {
		if !strings.HasPrefix(uri, "/unsafe/") || !strings.Contains(uri, "/bench/img-") {
			t.Fatalf("thumbor got %q, not a thumbor URL", uri)
		}
	}
	for uri := range pix.uris {
		if !strings.HasPrefix(uri, "/bench/img-") {
			t.Fatalf("pixcdn got %q", uri)
		}
	}
	if len(progressed) == 0 {
		t.Error("Progress was never called")
	}

	base := filepath.Join(t.TempDir(), "report")
	files, err := WriteCharts(cmp.Lines(), base, ChartPNG)
	if err != nil || len(files) != 2 {
		t.Fatalf("WriteCharts: %v, %v", files, err)
	}
	for _, f := range files {
		checkPNGLines(t, f, 2)
	}
	files, err = WriteCharts(cmp.Lines(), base, ChartSVG)
	if err != nil {
		t.Fatal(err)
	}
	checkSVGLegend(t, files[0], "pixcdn", "thumbor")
	checkSVGLegend(t, files[1], "pixcdn p50", "pixcdn p99", "thumbor p50", "thumbor p99")
}

func TestTimelineAddsUpToTheRun(t *testing.T) {
	edge := startTestEdge(t)
	cfg := testConfig(edge.url)
	cfg.Duration, cfg.SampleInterval = 500*time.Millisecond, 100*time.Millisecond
	rep, err := Run(context.Background(), cfg, smallSynthetic(t))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rep.Timeline); n < 5 || n > 6 {
		t.Fatalf("%d timeline points for 500ms at 100ms, want 5 or 6: %+v", n, rep.Timeline)
	}
	var sum, prev float64
	for _, p := range rep.Timeline {
		sum += p.RequestsPerSec * (p.Seconds - prev)
		prev = p.Seconds
		if p.RequestsPerSec > 0 && (p.P50Ms <= 0 || p.P99Ms < p.P50Ms) {
			t.Errorf("point %+v: percentiles out of order", p)
		}
	}
	if d := sum - float64(rep.Requests); d > 0.5 || d < -0.5 {
		t.Errorf("timeline counts %.1f requests, report %d", sum, rep.Requests)
	}
}

// checkPNGLines decodes a chart and checks that each of the first n line
// colours is drawn.
func checkPNGLines(t *testing.T, file string, n int) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for i := range n {
		want := color.RGBAModel.Convert(ChartColor(i)).(color.RGBA)
		found := 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if near(color.RGBAModel.Convert(img.At(x, y)).(color.RGBA), want) {
					found++
				}
			}
		}
		if found < 50 {
			t.Errorf("%s: %d pixels of line %d's colour %v, want a line", file, found, i, want)
		}
	}
}

func near(a, b color.RGBA) bool {
	d := func(x, y uint8) int { return max(int(x)-int(y), int(y)-int(x)) }
	return d(a.R, b.R) < 12 && d(a.G, b.G) < 12 && d(a.B, b.B) < 12
}

// checkSVGLegend parses a chart as XML and checks its texts name every line.
func checkSVGLegend(t *testing.T, file string, names ...string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	dec := xml.NewDecoder(bytes.NewReader(data))
	paths := 0
	for inText := false; ; {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("%s: not XML: %v", file, err)
			}
			break
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
			if tok.Name.Local == "path" {
				paths++
			}
		case xml.CharData:
			if inText {
				texts = append(texts, strings.TrimSpace(string(tok)))
			}
		}
	}
	all := strings.Join(texts, "|")
	for _, name := range names {
		if !strings.Contains("|"+all+"|", "|"+name+"|") {
			t.Errorf("%s: no legend %q among %q", file, name, all)
		}
	}
	if paths < len(names) {
		t.Errorf("%s: %d paths, want at least one per line", file, paths)
	}
}
