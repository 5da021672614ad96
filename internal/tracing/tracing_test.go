package tracing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"pixcdn/internal/tracing"
	"pixcdn/internal/tracing/tracingtest"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  tracing.Config
		want string // "" for valid
	}{
		{tracing.DefaultConfig(), ""},
		{tracing.Config{Endpoint: "http://collector:4318", ServiceName: "s", SampleRatio: 1}, ""},
		{tracing.Config{Endpoint: "https://collector/otlp/v1/traces", ServiceName: "s"}, ""},
		{tracing.Config{Endpoint: "grpc://collector:4317", ServiceName: "s"}, ""},
		{tracing.Config{Endpoint: "https://collector:4317", Protocol: tracing.ProtocolGRPC, ServiceName: "s"}, ""},
		{tracing.Config{SampleRatio: 1.5}, "outside 0..1"},
		{tracing.Config{SampleRatio: -0.1}, "outside 0..1"},
		{tracing.Config{Protocol: "thrift"}, "neither"},
		{tracing.Config{Endpoint: "collector:4318", ServiceName: "s"}, "want http(s)://"},
		{tracing.Config{Endpoint: "grpc://collector:4317", Protocol: tracing.ProtocolHTTP, ServiceName: "s"}, "is gRPC"},
		{tracing.Config{Endpoint: "http://collector:4318"}, "ServiceName"},
	} {
		err := tc.cfg.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

// TestSetupExportsToOTLPHTTP: spans of a process set up with an http://
// endpoint reach the receiver at shutdown, with the service's resource,
// and a remote parent that is sampled is followed whatever the ratio.
func TestSetupExportsToOTLPHTTP(t *testing.T) {
	rx := tracingtest.NewReceiver(t)
	shutdown, err := tracing.Setup(t.Context(), tracing.Config{Endpoint: rx.URL, ServiceName: "pixcdn-test", InstanceID: "n1", SampleRatio: 0})
	if err != nil {
		t.Fatal(err)
	}
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	parent := trace.ContextWithRemoteSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true}))
	_, sampled := otel.Tracer("t").Start(parent, "sampled by parent")
	sampled.End()
	_, root := otel.Tracer("t").Start(context.Background(), "root at ratio 0")
	root.End()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	spans := rx.Trace(tid.String())
	if len(spans) != 1 || spans[0].Name != "sampled by parent" || spans[0].ParentID != sid.String() ||
		spans[0].Service != "pixcdn-test" || spans[0].Instance != "n1" {
		t.Fatalf("received %+v", spans)
	}
	if rx.Trace(root.SpanContext().TraceID().String()) != nil {
		t.Error("a root span was exported at sample ratio 0")
	}
}

func TestSetupOffInstallsNothing(t *testing.T) {
	before := otel.GetTracerProvider()
	shutdown, err := tracing.Setup(t.Context(), tracing.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if otel.GetTracerProvider() != before {
		t.Error("tracing off replaced the tracer provider")
	}
	if err := shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestSetupGRPCDoesNotConnect: a gRPC exporter is set up without reaching
// its receiver, so a process starts while its collector is down.
func TestSetupGRPCDoesNotConnect(t *testing.T) {
	shutdown, err := tracing.Setup(t.Context(), tracing.Config{Endpoint: "grpc://127.0.0.1:1", ServiceName: "s", SampleRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	shutdown(ctx)
}
