// Package tracingtest is an in-process OTLP/HTTP trace receiver for tests:
// processes under test export their spans to it (--otlp-endpoint), and the
// test reads them back as plain values and prints their trees.
package tracingtest

import (
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Span is one received span.
type Span struct {
	TraceID, SpanID, ParentID string // hex; ParentID "" for a root
	Name                      string
	Kind                      string // "server", "client", "internal", …
	Service, Instance         string // the resource's service.name and service.instance.id
	Attrs                     map[string]string
	Events                    []string // name(attribute values, in order)
	Start, End                time.Time
	Error                     string // the status message of a failed span
}

// Receiver accepts OTLP/HTTP protobuf exports on URL (spans at
// /v1/traces). Safe for concurrent use; closed when the test ends.
type Receiver struct {
	URL   string
	mu    sync.Mutex
	spans []Span
}

// NewReceiver starts a Receiver on loopback.
func NewReceiver(t testing.TB) *Receiver {
	r := &Receiver{}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
		http.NotFound(w, req)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var export coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(raw, &export); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.add(&export)
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func (r *Receiver) add(export *coltracepb.ExportTraceServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range export.ResourceSpans {
		res := attrMap(rs.GetResource().GetAttributes())
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				r.spans = append(r.spans, toSpan(s, res))
			}
		}
	}
}

func toSpan(s *tracepb.Span, res map[string]string) Span {
	out := Span{
		TraceID: hex.EncodeToString(s.TraceId), SpanID: hex.EncodeToString(s.SpanId),
		ParentID: hex.EncodeToString(s.ParentSpanId), Name: s.Name,
		Kind:    strings.ToLower(strings.TrimPrefix(s.Kind.String(), "SPAN_KIND_")),
		Service: res["service.name"], Instance: res["service.instance.id"], Attrs: attrMap(s.Attributes),
		Start: time.Unix(0, int64(s.StartTimeUnixNano)), End: time.Unix(0, int64(s.EndTimeUnixNano)),
	}
	for _, e := range s.Events {
		name := e.Name
		if len(e.Attributes) > 0 {
			var vals []string
			for _, kv := range e.Attributes {
				vals = append(vals, attrValue(kv.GetValue()))
			}
			name += "(" + strings.Join(vals, ",") + ")"
		}
		out.Events = append(out.Events, name)
	}
	if s.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		out.Error = s.GetStatus().GetMessage()
		if out.Error == "" {
			out.Error = "error"
		}
	}
	return out
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = attrValue(kv.GetValue())
	}
	return m
}

func attrValue(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'f', 2, 64)
	}
	return v.String()
}

// Trace returns the spans received so far of one trace, by start time.
func (r *Receiver) Trace(traceID string) []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Span
	for _, s := range r.spans {
		if s.TraceID == traceID {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Span) int { return a.Start.Compare(b.Start) })
	return out
}

// Tree renders spans (one trace) as an indented tree: a line per span
// with its service and instance, kind, name, duration and, in brackets,
// the attributes named in show that it has. Spans whose parent is not
// among spans are roots.
func Tree(spans []Span, show ...string) string {
	ids := map[string]bool{}
	children := map[string][]Span{}
	for _, s := range spans {
		ids[s.SpanID] = true
	}
	var roots []Span
	for _, s := range spans {
		if ids[s.ParentID] {
			children[s.ParentID] = append(children[s.ParentID], s)
		} else {
			roots = append(roots, s)
		}
	}
	var b strings.Builder
	var walk func(s Span, depth int)
	walk = func(s Span, depth int) {
		fmt.Fprintf(&b, "%s%s/%s %s %q %s", strings.Repeat("  ", depth), s.Service, s.Instance, s.Kind, s.Name,
			s.End.Sub(s.Start).Round(10*time.Microsecond))
		var extra []string
		for _, k := range show {
			if v, ok := s.Attrs[k]; ok {
				extra = append(extra, k+"="+v)
			}
		}
		if len(s.Events) > 0 {
			extra = append(extra, "events="+strings.Join(s.Events, ","))
		}
		if s.Error != "" {
			extra = append(extra, "error="+s.Error)
		}
		if len(extra) > 0 {
			fmt.Fprintf(&b, " [%s]", strings.Join(extra, " "))
		}
		b.WriteByte('\n')
		for _, c := range children[s.SpanID] {
			walk(c, depth+1)
		}
	}
	for _, s := range roots {
		if s.ParentID != "" {
			fmt.Fprintf(&b, "(parent %s)\n", s.ParentID)
		}
		walk(s, 1)
	}
	return b.String()
}
