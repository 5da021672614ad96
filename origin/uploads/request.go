package uploads

import (
	"context"
	"sync"
	"time"
)

// exchange is what one HTTP request carries between the handler, the store
// and the response: the tenant from the path, the expected checksum, and
// what the store learns (expiry, ingestion result) for response headers.
// tusd hands the store a context derived from the request's, so the
// exchange travels as a context value. Safe for concurrent use.
type exchange struct {
	tenant   string
	method   string    // as sent, before X-HTTP-Method-Override
	checksum *checksum // nil without Upload-Checksum

	mu       sync.Mutex
	expires  time.Time
	ingested *Ingested
}

type exchangeKey struct{}

func withExchange(ctx context.Context, x *exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, x)
}

// exchangeFrom returns the request's exchange, or nil outside a request of
// this package's handler.
func exchangeFrom(ctx context.Context) *exchange {
	x, _ := ctx.Value(exchangeKey{}).(*exchange)
	return x
}

func (x *exchange) setExpires(t time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.expires = t
}

func (x *exchange) setIngested(in Ingested) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ingested = &in
}

func (x *exchange) snapshot() (time.Time, *Ingested) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.expires, x.ingested
}
