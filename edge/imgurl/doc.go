// Package imgurl owns the public URL grammar of an edge node:
// /{tenant}/{public_id}?{options}, presets, and HMAC-SHA256 URL signatures.
// Its functions are pure and fuzzed; it knows nothing of servers, caches or
// the cluster.
package imgurl
