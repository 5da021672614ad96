// Package cachestore is a tiered byte cache: a memory tier over a Badger disk
// tier, with byte budgets, eviction, freshness and staleness, checksums and
// O(1) purges by generation. Keys are opaque bytes; it knows nothing of
// images, HTTP or peers.
package cachestore
