package testenv

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Metric returns the sum of every sample of the Prometheus metric name on
// the node whose labels include all of labels ("k=\"v\"" pairs, e.g.
// `result="ok"`). A metric that is absent sums to 0.
func (n *EdgeNode) Metric(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + n.Internal + "/metrics")
	if err != nil {
		t.Fatalf("%s /metrics: %v", n.Name, err)
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := sampleValue(line, name, labels); ok {
			sum += v
		}
	}
	return sum
}

// sampleValue parses one exposition line if it is a sample of name with
// all of labels.
func sampleValue(line, name string, labels []string) (float64, bool) {
	rest, ok := strings.CutPrefix(line, name)
	if !ok || (rest != "" && rest[0] != '{' && rest[0] != ' ') {
		return 0, false
	}
	lbl := ""
	if strings.HasPrefix(rest, "{") {
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return 0, false
		}
		lbl, rest = rest[1:end], rest[end+1:]
	}
	for _, l := range labels {
		if !strings.Contains(","+lbl+",", ","+l+",") {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
	return v, err == nil
}

// Sum returns the metric summed over every running node.
func (c *EdgeCluster) Sum(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	total := 0.0
	for _, n := range c.Nodes {
		if n.Running() {
			total += n.Metric(t, name, labels...)
		}
	}
	return total
}

// URL returns the node's public URL for path.
func (n *EdgeNode) URL(path string) string { return fmt.Sprintf("http://%s%s", n.Public, path) }
