// Package client is what an edge uses to talk to the origin service:
// fetching originals (with conditional requests) and following the
// invalidation event feed. It knows nothing of edge internals.
package client
