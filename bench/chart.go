package bench

import (
	"fmt"
	"image/color"
	"os"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ChartLine is one server's timeline on a chart.
type ChartLine struct {
	Name     string
	Timeline []TimelinePoint
}

// Chart formats accepted by WriteCharts.
const (
	ChartPNG = "png"
	ChartSVG = "svg"
)

// ChartColor is the colour of the i-th line of a chart (the i-th server).
func ChartColor(i int) color.Color { return plotutil.Color(i) }

// WriteCharts draws two charts of lines, one line per server (in the order
// given, coloured ChartColor(i)), and writes them as PNG or SVG (format)
// to base+"-throughput."+format (requests/s over time) and
// base+"-latency."+format (p50 solid and p99 dashed, in ms, over time). It
// returns the files written.
func WriteCharts(lines []ChartLine, base, format string) ([]string, error) {
	if format != ChartPNG && format != ChartSVG {
		return nil, fmt.Errorf("%w: chart format %q, want png or svg", ErrBadConfig, format)
	}
	if len(lines) == 0 {
		return nil, errNoLines
	}
	throughput, err := throughputChart(lines)
	if err != nil {
		return nil, err
	}
	latency, err := latencyChart(lines)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, c := range []struct {
		name string
		p    *plot.Plot
	}{{"throughput", throughput}, {"latency", latency}} {
		file := base + "-" + c.name + "." + format
		if err := saveChart(c.p, file, format); err != nil {
			return files, err
		}
		files = append(files, file)
	}
	return files, nil
}

func throughputChart(lines []ChartLine) (*plot.Plot, error) {
	p := newChart("Throughput", "requests/s")
	for i, l := range lines {
		err := addLine(p, l.Name, i, 0, l.Timeline, func(t TimelinePoint) float64 { return t.RequestsPerSec })
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

func latencyChart(lines []ChartLine) (*plot.Plot, error) {
	p := newChart("Latency (p50 solid, p99 dashed)", "ms")
	for i, l := range lines {
		if err := addLine(p, l.Name+" p50", i, 0, l.Timeline, func(t TimelinePoint) float64 { return t.P50Ms }); err != nil {
			return nil, err
		}
		if err := addLine(p, l.Name+" p99", i, 2, l.Timeline, func(t TimelinePoint) float64 { return t.P99Ms }); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func newChart(title, unit string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "seconds"
	p.Y.Label.Text = unit
	p.Y.Min = 0
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// addLine adds one series: colour i, dash pattern dashes (0 solid).
func addLine(p *plot.Plot, name string, i, dashes int, tl []TimelinePoint, value func(TimelinePoint) float64) error {
	xys := make(plotter.XYs, len(tl))
	for j, t := range tl {
		xys[j].X, xys[j].Y = t.Seconds, value(t)
	}
	if len(xys) == 0 {
		xys = plotter.XYs{{}}
	}
	line, err := plotter.NewLine(xys)
	if err != nil {
		return fmt.Errorf("chart %s: %w", name, err)
	}
	line.LineStyle = draw.LineStyle{Color: ChartColor(i), Width: vg.Points(2), Dashes: plotutil.Dashes(dashes)}
	p.Add(line)
	p.Legend.Add(name, line)
	return nil
}

func saveChart(p *plot.Plot, file, format string) error {
	w, err := p.WriterTo(9*vg.Inch, 4.5*vg.Inch, format)
	if err != nil {
		return err
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := w.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("chart %s: %w", file, err)
	}
	return f.Close()
}

// ChartBase returns the file name base for the charts beside a JSON report:
// the report's path without its .json extension.
func ChartBase(reportPath string) string {
	return strings.TrimSuffix(reportPath, ".json")
}
