// Package tracing sets up OpenTelemetry tracing for a pixcdn process: an
// OTLP exporter (HTTP or gRPC), a parent-based ratio sampler, and the W3C
// trace context propagator, installed as the global tracer provider and
// propagator. With no endpoint it installs nothing: every tracer stays the
// no-op one and instrumented code does no tracing work.
//
// It is the only package that imports the OpenTelemetry SDK and exporters;
// the rest of the tree uses the go.opentelemetry.io/otel/trace API.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Protocols of the OTLP exporter.
const (
	ProtocolHTTP = "http/protobuf"
	ProtocolGRPC = "grpc"
)

// DefaultSampleRatio is the share of new traces recorded when a process
// starts a trace itself (requests that arrive with a sampled W3C
// traceparent are recorded whatever the ratio).
const DefaultSampleRatio = 0.01

// Config says where spans go and how many are kept.
type Config struct {
	// Endpoint is the OTLP receiver: http(s)://HOST:PORT[/PATH] for
	// OTLP/HTTP (path default /v1/traces), grpc://HOST:PORT for OTLP/gRPC
	// without TLS. Empty disables tracing. Default "".
	Endpoint string
	// Protocol overrides the one the endpoint's scheme implies: "" (by
	// scheme), ProtocolHTTP or ProtocolGRPC (an https:// endpoint then
	// means gRPC over TLS). Default "".
	Protocol string
	// SampleRatio is the share (0..1) of traces this process starts that
	// are recorded; a request carrying a trace context follows its
	// sampled flag. Default DefaultSampleRatio.
	SampleRatio float64
	// ServiceName names the process kind in every span's resource
	// ("pixcdn-edge", "pixcdn-origin"). Required when Endpoint is set.
	ServiceName string
	// InstanceID names this process among others of its kind (the node
	// name). Default "".
	InstanceID string
	// Version is the service version. Default "".
	Version string
}

// DefaultConfig returns tracing off with the default sample ratio.
func DefaultConfig() Config { return Config{SampleRatio: DefaultSampleRatio} }

// Enabled reports whether c turns tracing on.
func (c Config) Enabled() bool { return c.Endpoint != "" }

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.SampleRatio < 0 || c.SampleRatio > 1 {
		return fmt.Errorf("tracing: sample ratio %g is outside 0..1", c.SampleRatio)
	}
	switch c.Protocol {
	case "", ProtocolHTTP, ProtocolGRPC:
	default:
		return fmt.Errorf("tracing: protocol %q is neither %s nor %s", c.Protocol, ProtocolHTTP, ProtocolGRPC)
	}
	if !c.Enabled() {
		return nil
	}
	if c.ServiceName == "" {
		return errors.New("tracing: ServiceName is empty")
	}
	_, err := c.target()
	return err
}

// target is the parsed endpoint and the protocol to speak to it.
type target struct {
	protocol string
	url      *url.URL
}

func (c Config) target() (target, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil || u.Host == "" {
		return target{}, fmt.Errorf("tracing: endpoint %q: want http(s)://HOST:PORT[/PATH] or grpc://HOST:PORT", c.Endpoint)
	}
	t := target{protocol: c.Protocol, url: u}
	switch u.Scheme {
	case "http", "https":
		if t.protocol == "" {
			t.protocol = ProtocolHTTP
		}
	case "grpc":
		if t.protocol == ProtocolHTTP {
			return target{}, fmt.Errorf("tracing: endpoint %q is gRPC but the protocol is %s", c.Endpoint, ProtocolHTTP)
		}
		t.protocol = ProtocolGRPC
	default:
		return target{}, fmt.Errorf("tracing: endpoint %q: want http(s)://HOST:PORT[/PATH] or grpc://HOST:PORT", c.Endpoint)
	}
	return t, nil
}

// Setup installs tracing as cfg says, globally (otel.SetTracerProvider,
// otel.SetTextMapPropagator), and returns the function that flushes the
// spans not yet exported and stops the exporter; it honours its ctx and
// must be called once, at exit. With tracing off it installs nothing and
// shutdown does nothing. Setup does not connect: an unreachable receiver
// costs dropped spans and log lines, never a failed start.
func Setup(ctx context.Context, cfg Config) (shutdown func(context.Context) error, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Enabled() {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := newExporter(ctx, cfg)
	if err != nil {
		return nil, err
	}
	attrs := []attribute.KeyValue{semconv.ServiceName(cfg.ServiceName)}
	if cfg.InstanceID != "" {
		attrs = append(attrs, semconv.ServiceInstanceID(cfg.InstanceID))
	}
	if cfg.Version != "" {
		attrs = append(attrs, semconv.ServiceVersion(cfg.Version))
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))),
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, attrs...)),
	)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(Propagator())
	return tp.Shutdown, nil
}

// Propagator is the propagator every pixcdn process uses: W3C trace
// context (traceparent, tracestate) and baggage.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

func newExporter(ctx context.Context, cfg Config) (sdktrace.SpanExporter, error) {
	t, err := cfg.target()
	if err != nil {
		return nil, err
	}
	u := t.url
	if t.protocol == ProtocolGRPC {
		opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(u.Host)}
		if u.Scheme != "https" {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		return otlptracegrpc.New(ctx, opts...)
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(u.Host)}
	if u.Scheme != "https" {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	if path := strings.TrimRight(u.Path, "/"); path != "" {
		opts = append(opts, otlptracehttp.WithURLPath(u.Path))
	}
	return otlptracehttp.New(ctx, opts...)
}
