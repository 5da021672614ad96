package transform

import "context"

type clientKey struct{}

// WithClient returns ctx carrying the name of the client a Process call
// works for (an address, say). A Processor that queues work shares its
// workers fairly between the clients it sees; calls without a client share
// one queue.
func WithClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

// ClientOf returns the client WithClient put in ctx, or "".
func ClientOf(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(string)
	return c
}
