package edge

import (
	"net"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"pixcdn/edge/peer"
)

// tracedNodes is twoNodes with tracing on: a (non-owner) and b (owner of
// every key) record their spans in their own recorders, and their peer
// clients propagate W3C trace context.
func tracedNodes(t *testing.T) (a, b *testNode, recA, recB *tracetest.SpanRecorder) {
	t.Helper()
	mn := &memNet{lns: map[string]interface{ Dial() (net.Conn, error) }{}}
	client := func(name string) *peer.Client {
		cfg := peer.DefaultConfig()
		cfg.Secret, cfg.Self, cfg.Dial, cfg.Propagator = testSecret, name, mn.dial, propagation.TraceContext{}
		c, err := peer.NewClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	traced := func(rec *tracetest.SpanRecorder) nodeOption {
		return func(c *Config, _ *Deps) {
			c.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		}
	}
	recA, recB = tracetest.NewSpanRecorder(), tracetest.NewSpanRecorder()
	owner := Peer{Name: "b", InternalAddr: "b:9"}
	b = newTestNode(t, traced(recB), func(_ *Config, d *Deps) { d.Ring, d.Peers = fixedRing{owner: owner, self: true}, client("b") })
	a = newTestNode(t, traced(recA), func(_ *Config, d *Deps) {
		d.Ring, d.Peers, d.Origin = fixedRing{owner: owner}, client("a"), b.origin
	})
	mn.lns["b:9"] = b.internal
	mn.lns["a:9"] = a.internal
	return a, b, recA, recB
}

// TestTraceJoinsClientNodeAndOwner: a request carrying a W3C traceparent
// reaches a node that forwards it to the variant's owner; every span of
// both nodes is in the client's trace, the request span under the
// client's span, the owner's request span under the forward, and under
// that the original fetch (made before the fill, to check the image's
// visibility) and the fill with its transform.
func TestTraceJoinsClientNodeAndOwner(t *testing.T) {
	a, _, recA, recB := tracedNodes(t)
	const traceID, clientSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	r := a.get("/acme/cat.jpg?w=40", "Accept", "image/webp", "traceparent", "00-"+traceID+"-"+clientSpan+"-01")
	if r.code != 200 || r.h("X-Cache") != "PEER" {
		t.Fatalf("forwarded: %d %+v", r.code, r.headers)
	}
	spansA, spansB := byName(t, recA.Ended()), byName(t, recB.Ended())
	public, forward := spansA[spanPublic], spansA["forward to owner"]
	owner, fill := spansB[spanPeerVariant], spansB["fill"]
	fetch, transform := spansB["original from origin"], spansB["transform"]
	for _, s := range []sdktrace.ReadOnlySpan{public, forward, owner, fill, fetch, transform} {
		if s == nil {
			t.Fatalf("missing spans: node a %v, owner %v", names(recA.Ended()), names(recB.Ended()))
		}
		if s.SpanContext().TraceID().String() != traceID {
			t.Errorf("%s: trace %s, want the client's %s", s.Name(), s.SpanContext().TraceID(), traceID)
		}
	}
	parents := []struct {
		child  sdktrace.ReadOnlySpan
		parent string
	}{
		{public, clientSpan}, {forward, public.SpanContext().SpanID().String()},
		{owner, forward.SpanContext().SpanID().String()}, {fill, owner.SpanContext().SpanID().String()},
		{fetch, owner.SpanContext().SpanID().String()}, {transform, fill.SpanContext().SpanID().String()},
	}
	for _, p := range parents {
		if got := p.child.Parent().SpanID().String(); got != p.parent {
			t.Errorf("%s: parent %s, want %s", p.child.Name(), got, p.parent)
		}
	}
	if public.SpanKind() != trace.SpanKindServer || forward.SpanKind() != trace.SpanKindClient || owner.SpanKind() != trace.SpanKindServer {
		t.Errorf("kinds: public %v, forward %v, owner %v", public.SpanKind(), forward.SpanKind(), owner.SpanKind())
	}
	attrs := map[string]string{}
	for _, kv := range public.Attributes() {
		attrs[string(kv.Key)] = kv.Value.String()
	}
	if attrs["pixcdn.cache"] != "PEER" || attrs["pixcdn.tenant"] != "acme" || attrs["http.response.status_code"] != "200" || attrs["pixcdn.key_hash"] == "" {
		t.Errorf("public span attributes %v", attrs)
	}
	reads := 0
	for _, ev := range fill.Events() {
		if ev.Name == "cache read" {
			reads++
		}
	}
	if reads == 0 {
		t.Errorf("fill: no cache read events in %v", fill.Events())
	}
}

// TestUntracedNodeSendsNoTraceContext: with tracing off a node neither
// records nor forwards a client's traceparent.
func TestUntracedNodeSendsNoTraceContext(t *testing.T) {
	a, b := twoNodes(t)
	if a.srv.tracer != nil || b.srv.tracer != nil {
		t.Fatal("tracing on without a TracerProvider")
	}
	r := a.get("/acme/cat.jpg?w=40", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if r.code != 200 || r.h("X-Cache") != "PEER" || r.h("traceparent") != "" {
		t.Fatalf("forwarded: %d %+v", r.code, r.headers)
	}
}

func byName(t *testing.T, spans []sdktrace.ReadOnlySpan) map[string]sdktrace.ReadOnlySpan {
	t.Helper()
	m := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		if _, dup := m[s.Name()]; dup {
			t.Errorf("span %q twice", s.Name())
		}
		m[s.Name()] = s
	}
	return m
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}

// BenchmarkHitPathTraced is BenchmarkHitPath with tracing on and every
// request sampled: a server span per request, made and dropped (no
// exporter), the cost of tracing the hit path before export.
func BenchmarkHitPathTraced(b *testing.B) { benchTracedHit(b, sdktrace.AlwaysSample()) }

// BenchmarkHitPathTracedUnsampled is BenchmarkHitPath with tracing on and
// the request not sampled: what the requests outside the sample ratio pay.
func BenchmarkHitPathTracedUnsampled(b *testing.B) { benchTracedHit(b, sdktrace.NeverSample()) }

func benchTracedHit(b *testing.B, sampler sdktrace.Sampler) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler))
	n := newTestNode(&testing.T{}, func(c *Config, _ *Deps) { c.TracerProvider = tp })
	defer n.srv.Close(b.Context())
	const uri = "/acme/cat.jpg?w=215&fm=webp"
	if r := n.get(uri); r.code != 200 {
		b.Fatal(r.code)
	}
	benchHandler(b, uri, n.srv.servePublic)
}
