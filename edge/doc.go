// Package edge is the request path of an edge node: it parses an image URL,
// negotiates the output format, routes the request to the variant's ring owner,
// looks the variant up in the tiered cache, fills misses once per key
// (singleflight) from the original and the transform pool, and writes the HTTP
// response with its validators and cache headers.
//
// It must not know about Badger, memberlist, govips, MinIO or PostgreSQL: it
// sees only the small interfaces it declares in deps.go (cmd/pixcdn adapts
// the real packages; NewCodec adapts a transform.Processor).
//
// Where things are: public.go (the public handler and routing), parse.go and
// memo.go (URL → request, memoised per raw URI), hints.go (dpr=auto,
// w=auto and Save-Data: client hints resolved into options), lookup.go (hit, stale,
// fill, the visibility check before a fill, the per-client miss quota),
// flight.go (one fill per key, cancelled when its last waiter leaves),
// budget.go (format budgets: a negotiated AVIF or JPEG XL miss answered
// with a cheaper format while the slow one renders on a background lane),
// original.go (originals: own cache, their ring owner, the origin;
// unservable ones remembered in package negcache),
// info.go (?info: the image's description as a JSON variant, package
// imageinfo),
// master.go (working masters: made by an original's owner, cached beside
// it, sent to variant owners; Config.MasterBound),
// respond.go (headers, 304, errors), errors.go (statusFor), forward.go
// (owner forwarding, fallback, non-owner hot copies kept in package
// hotcache), feedposition.go
// (a peer's answer from before an origin event this node applied is
// refused), internal.go,
// status.go, purge.go, feed.go (the internal port, purges, the origin's
// event feed), clusterview.go and clusterpage.go (/_cluster's counters,
// the cluster-wide view and the live page's files in clusterpage/), metrics.go (the metric names of ARCHITECTURE.md), tracing.go
// (OpenTelemetry spans, when Config.TracerProvider is set).
//
// Freshness: an entry is fresh until max-age, then served stale while it is
// revalidated in the background (stale-while-revalidate), then served stale
// only if the origin fails (stale-if-error), then gone. A variant inherits
// the age of the original it was made from.
//
// A Server is safe for concurrent use; Close stops its listeners and waits
// for its background goroutines (revalidations, the feed follower).
package edge
