package transform

import (
	"context"
	"time"
)

// StepObserver is told about each stage of one Process call as it ends:
// "admitted" once the call got a worker (took is the wait), then each
// pipeline step by name with its duration. It is called on the goroutine
// running the call and must not block.
type StepObserver func(step string, took time.Duration)

type observerKey struct{}

// WithStepObserver returns ctx carrying f for the Process calls made with
// it (tracing records the steps as span events).
func WithStepObserver(ctx context.Context, f StepObserver) context.Context {
	return context.WithValue(ctx, observerKey{}, f)
}

// StepObserverOf returns the observer WithStepObserver put in ctx, or nil.
func StepObserverOf(ctx context.Context) StepObserver {
	f, _ := ctx.Value(observerKey{}).(StepObserver)
	return f
}
