// Package edge is the request path of an edge node: it parses an image URL,
// negotiates the output format, routes the request to the variant's ring owner,
// looks the variant up in the tiered cache, fills misses once per key
// from the original (or its working master) and the transform pool, and
// writes the HTTP response with its validators and cache headers.
//
// It must not know about Badger, memberlist, govips, MinIO or PostgreSQL: it
// sees only the small interfaces it declares in deps.go (cmd/pixcdn adapts
// the real packages; NewCodec adapts a transform.Processor).
//
// # Reading order
//
// The request path, top-down: public.go (ServePublic → handle: parse,
// route to the owner or serve here), parse.go and hints.go (URL, client
// hints and Accept → request, with its cache key), memo.go (requests
// memoised per raw URI in package urlmemo, with their L0 slots), entry.go and policy.go (a
// cache entry, its freshness and Cache-Control; entrymeta.go, what the
// cache keeps of an entry beside its body, in the edge's own encoding), lookup.go (L0, cache
// hit, stale serving, or a fill: visibility first, then one fill per key
// for a bounded number of misses per client), flight.go (the fill group),
// original.go, originalread.go and master.go (the source of a fill: the
// original from this node, its ring owner or the origin, read from the
// cache once and probed once per miss, and the working master made from
// it), budget.go (a negotiated AVIF or JPEG XL miss answered with a
// cheaper format while the slow one renders in the background), codec.go
// (the Codec over package transform), respond.go and errors.go (headers,
// 304, statuses).
//
// Around it: forward.go (asking the owner; fallback when it fails),
// feedposition.go (a peer's answer from before an origin event this node
// applied is refused), purge.go, purgelog.go, purgesettle.go and feed.go
// (purges from the internal port, gossip, pushes and the origin's event
// feed, which package eventfeed follows; Event, Original and PurgeRequest are package contract's, the
// edge–origin wire), prerender.go (the master and Config.Prerender presets
// of an image the event feed announces, made in the background on idle
// CPU), internal.go (what the internal port, package internalport,
// serves from this node: peer endpoints, purges, status), status.go and
// clusterview.go (/_cluster's JSON), info.go
// (?info), metrics.go (the metric names of ARCHITECTURE.md), tracing.go
// (OpenTelemetry spans, when Config.TracerProvider is set), tls.go (the
// public port's certificates), config.go,
// server.go (wiring and lifecycle), deps.go (every collaborator).
//
// Small in-process stores live in their own packages: urlmemo (parsed
// requests by URI), negcache (answers
// that mean no: unservable originals, signed images), hotcache (a
// non-owner's copies of popular variants), clientquota (misses per
// client), imageinfo (?info's JSON), imgurl (URL grammar, keys,
// signatures), peer (the peer protocol), internalport (the internal
// port's routes and authentication, and the live /_cluster page), and the
// connection guards
// connlimit and connwatch.
//
// # Words used here
//
//   - L0: a memoised request's slot holding its last fresh entry and the
//     whole response header built for it (the "template"), so a repeated
//     hit skips the cache and header formatting; a purge bumps the
//     generation that invalidates every slot. A response "templated" came
//     whole from such a slot.
//   - hop: a request a peer forwarded (it carries the Pixcdn-Hop header);
//     it is served here and never forwarded again.
//   - owner: the ring member a key maps to; variants and originals each
//     have one, and the cluster makes each once, there.
//   - master: a pre-shrunk copy of a large original, made once by the
//     original's owner; variants that fit within it are made from it.
//   - provisional: a cheaper-format stand-in for a variant still being
//     made (format budgets), short-lived and never kept in L0 or as a hot
//     copy.
//
// # Freshness
//
// An entry is fresh until max-age, then served stale while it is
// revalidated in the background (stale-while-revalidate), then served stale
// only if the origin fails (stale-if-error), then gone. A variant inherits
// the age of the original it was made from.
//
// A Server is safe for concurrent use; Close stops its listeners and waits
// for its background goroutines (revalidations, the feed follower).
package edge
