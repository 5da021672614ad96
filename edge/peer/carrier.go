package peer

import "github.com/valyala/fasthttp"

// RequestCarrier lets an OpenTelemetry propagator read and write the
// trace context headers (W3C traceparent, tracestate) of a fasthttp
// request. It implements propagation.TextMapCarrier.
type RequestCarrier struct{ Header *fasthttp.RequestHeader }

// Get returns the value of the header key, "" when absent.
func (c RequestCarrier) Get(key string) string { return string(c.Header.Peek(key)) }

// Set sets the header key to value.
func (c RequestCarrier) Set(key, value string) { c.Header.Set(key, value) }

// Keys lists the request's header names.
func (c RequestCarrier) Keys() []string {
	var keys []string
	for k := range c.Header.All() {
		keys = append(keys, string(k))
	}
	return keys
}
