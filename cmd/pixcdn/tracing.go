package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"pixcdn/internal/tracing"
)

// traceSettings are the OpenTelemetry flags of pixcdn edge and pixcdn
// origin.
type traceSettings struct {
	OTLPEndpoint string  `flag:"otlp-endpoint" help:"OpenTelemetry trace receiver: http(s)://HOST:PORT[/PATH] for OTLP/HTTP (path default /v1/traces), grpc://HOST:PORT for OTLP/gRPC; empty turns tracing off"`
	OTLPProtocol string  `flag:"otlp-protocol" help:"OTLP protocol when the endpoint's scheme does not say: http/protobuf or grpc (an https:// endpoint with grpc is gRPC over TLS)"`
	TraceSample  float64 `flag:"trace-sample" help:"share (0..1) of the traces this process starts that are recorded; requests arriving with a W3C traceparent follow its sampled flag"`
}

func defaultTraceSettings() traceSettings {
	return traceSettings{TraceSample: tracing.DefaultSampleRatio}
}

func (s traceSettings) enabled() bool { return s.OTLPEndpoint != "" }

func (s traceSettings) config(service, instance string) tracing.Config {
	return tracing.Config{Endpoint: s.OTLPEndpoint, Protocol: s.OTLPProtocol, SampleRatio: s.TraceSample,
		ServiceName: service, InstanceID: instance, Version: buildVersion()}
}

func (s traceSettings) validate() error {
	if err := s.config("pixcdn", "").Validate(); err != nil {
		return fmt.Errorf("otlp-endpoint, otlp-protocol, trace-sample: %w", err)
	}
	return nil
}

// start installs tracing for this process (service names the command)
// and returns what flushes it at exit, within five seconds.
func (s traceSettings) start(ctx context.Context, service, instance string, log *slog.Logger) (stop func(), err error) {
	shutdown, err := tracing.Setup(ctx, s.config(service, instance))
	if err != nil {
		return nil, err
	}
	if s.enabled() {
		log.Info("tracing", "endpoint", s.OTLPEndpoint, "sample", s.TraceSample)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			log.Warn("flushing traces", "err", err)
		}
	}, nil
}

// tracerProvider is the provider the command's packages record spans
// with; nil with tracing off, which turns their tracing off.
func (s traceSettings) tracerProvider() trace.TracerProvider {
	if !s.enabled() {
		return nil
	}
	return otel.GetTracerProvider()
}

// tracedClientTransport wraps tr so that requests made under a traced
// context get a client span and carry the trace context (traceparent);
// requests of background work with no span (the event feed's long poll)
// start no trace.
func tracedClientTransport(tr http.RoundTripper) http.RoundTripper {
	return otelhttp.NewTransport(tr,
		otelhttp.WithFilter(func(r *http.Request) bool { return trace.SpanContextFromContext(r.Context()).IsValid() }),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "origin " + r.Method }))
}

// tracedHandler gives every request of h but health and metrics probes a
// server span named after its route pattern ("GET /v1/{tenant}/originals/{id...}").
func tracedHandler(h http.Handler) http.Handler {
	return otelhttp.NewHandler(h, "origin",
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/metrics", "/healthz", "/readyz":
				return false
			}
			return true
		}),
		otelhttp.WithSpanNameFormatter(func(operation string, r *http.Request) string {
			if r.Pattern != "" {
				return r.Pattern
			}
			return operation + " " + r.Method
		}))
}
