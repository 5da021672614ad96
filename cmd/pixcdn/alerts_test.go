package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

const (
	alertRulesFile  = "../../configs/pixcdn-alerts.yml"
	dashboardFile   = "../../configs/grafana-dashboard.json"
	operationsGuide = "../../docs/operations.md"
)

var promQL = parser.NewParser(parser.Options{})

// TestAlertRulesParse loads the alert rules as Prometheus does (rulefmt,
// which also parses every expression as PromQL) and checks that every
// alert has a severity and a summary and is explained in the operations
// guide under a heading of its name.
func TestAlertRulesParse(t *testing.T) {
	groups := loadAlertRules(t)
	guide, err := os.ReadFile(operationsGuide)
	if err != nil {
		t.Fatal(err)
	}
	alerts := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if r.Labels["severity"] != "page" && r.Labels["severity"] != "ticket" {
				t.Errorf("%s: severity %q, want page or ticket", r.Alert, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s: no summary annotation", r.Alert)
			}
			if !regexp.MustCompile(`(?m)^#+ ` + regexp.QuoteMeta(r.Alert) + `\s*$`).Match(guide) {
				t.Errorf("%s is not explained in docs/operations.md (want a heading of its name)", r.Alert)
			}
		}
	}
	if alerts == 0 {
		t.Fatal("no alert rules")
	}
}

// TestDashboardQueriesParse parses every query of the Grafana dashboard as
// PromQL.
func TestDashboardQueriesParse(t *testing.T) {
	queries := dashboardQueries(t)
	if len(queries) == 0 {
		t.Fatal("the dashboard has no queries")
	}
	for where, q := range queries {
		if _, err := metricNamesIn(q); err != nil {
			t.Errorf("%s: %v", where, err)
		}
	}
}

// TestMetricNameCheckCatchesATypo shows that the check below fails on a
// rule naming a metric nobody exports.
func TestMetricNameCheckCatchesATypo(t *testing.T) {
	exported := map[string]bool{"pixcdn_requests_total": true, "pixcdn_request_duration_seconds_bucket": true}
	queries := map[string]string{
		"good":  `histogram_quantile(0.99, sum by (le) (rate(pixcdn_request_duration_seconds_bucket[5m])))`,
		"typo":  `sum(rate(pixcdn_request_total{code=~"5.."}[5m]))`,
		"whole": `sum(rate(pixcdn_request_duration_seconds[5m]))`, // a histogram has no series of its bare name
	}
	missing := unexportedMetrics(t, queries, exported)
	want := []string{"typo: pixcdn_request_total", "whole: pixcdn_request_duration_seconds"}
	if !slices.Equal(missing, want) {
		t.Fatalf("missing = %q, want %q", missing, want)
	}
}

// TestAlertsAndDashboardNameExportedMetrics starts the real processes (an
// origin over PostgreSQL and MinIO, pushing to three edges joined by
// gossip), drives traffic through them until every series family exists,
// and checks that every metric an alert rule or a dashboard query names is
// on some process's /metrics (a histogram as _bucket, _sum and _count).
func TestAlertsAndDashboardNameExportedMetrics(t *testing.T) {
	queries := dashboardQueries(t)
	for _, g := range loadAlertRules(t).Groups {
		for _, r := range g.Rules {
			queries["alert "+r.Alert+r.Record] = r.Expr
		}
	}
	s := startInvalidationStack(t)
	s.put(t, "metrics.png", tinyPNG(1))
	targets := []string{s.origin.url() + "/metrics"}
	for _, n := range s.edges.Nodes {
		targets = append(targets, "http://"+n.Internal+"/metrics")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	var missing []string
	deadline := time.Now().Add(60 * time.Second)
	for round := 1; ; round++ {
		// Every edge makes, forwards and serves variants, so that each
		// labelled family (transforms, origin fetches, peer forwards) has
		// a series.
		for i, n := range s.edges.Nodes {
			url := n.URL(fmt.Sprintf("/%s/metrics.png?fm=png&w=%d", invalidationTenant, 1+(round*len(s.edges.Nodes)+i)%16))
			if resp, err := client.Get(url); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
		exported := map[string]bool{}
		for _, target := range targets {
			for name := range exportedSeriesNames(t, client, target) {
				exported[name] = true
			}
		}
		if missing = unexportedMetrics(t, queries, exported); len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, m := range missing {
		t.Errorf("%s is not exported by the edges or the origin", m)
	}
}

func loadAlertRules(t *testing.T) *rulefmt.RuleGroups {
	t.Helper()
	groups, errs := rulefmt.ParseFile(alertRulesFile, false, model.LegacyValidation, promQL, slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Error(err)
	}
	if groups == nil || t.Failed() {
		t.FailNow()
	}
	return groups
}

// dashboardQueries returns the PromQL of every dashboard panel target
// (rows' nested panels included), keyed by panel title and refId.
func dashboardQueries(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr  string `json:"expr"`
			RefID string `json:"refId"`
		} `json:"targets"`
		Panels json.RawMessage `json:"panels"`
	}
	var dash struct {
		Panels json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	queries := map[string]string{}
	var walk func(raw json.RawMessage)
	walk = func(raw json.RawMessage) {
		if len(raw) == 0 {
			return
		}
		var panels []panel
		if err := json.Unmarshal(raw, &panels); err != nil {
			t.Fatalf("%s: %v", dashboardFile, err)
		}
		for _, p := range panels {
			for _, tg := range p.Targets {
				if tg.Expr != "" {
					queries[fmt.Sprintf("panel %q %s", p.Title, tg.RefID)] = tg.Expr
				}
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	return queries
}

// metricNamesIn parses a PromQL expression and returns the metric names its
// selectors name. A selector without a fixed name is an error: its series
// could not be checked.
func metricNamesIn(expr string) ([]string, error) {
	e, err := promQL.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var names []string
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			name := vs.Name
			for _, m := range vs.LabelMatchers {
				if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
					name = m.Value
				}
			}
			if name == "" {
				err = fmt.Errorf("selector %s has no fixed metric name", vs)
			}
			names = append(names, name)
		}
		return nil
	})
	return names, err
}

// unexportedMetrics returns "query: metric" for every metric the queries
// name that is not among exported, sorted.
func unexportedMetrics(t *testing.T, queries map[string]string, exported map[string]bool) []string {
	t.Helper()
	var missing []string
	for where, q := range queries {
		names, err := metricNamesIn(q)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		for _, name := range names {
			if !exported[name] {
				missing = append(missing, where+": "+name)
			}
		}
	}
	slices.Sort(missing)
	return slices.Compact(missing)
}

// exportedSeriesNames scrapes a Prometheus text endpoint and returns the
// names its series carry: a counter or gauge its own, a histogram
// NAME_bucket, NAME_sum and NAME_count, a summary NAME, NAME_sum and
// NAME_count.
func exportedSeriesNames(t *testing.T, client *http.Client, url string) map[string]bool {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s", url, resp.Status)
	}
	names := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 4 || fields[0] != "#" || fields[1] != "TYPE" {
			continue
		}
		name := fields[2]
		switch fields[3] {
		case "histogram":
			names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
		case "summary":
			names[name], names[name+"_sum"], names[name+"_count"] = true, true, true
		default:
			names[name] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	return names
}
