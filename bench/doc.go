// Package bench load-tests a pixcdn deployment through its public
// endpoints only: it owns workload generators, the load engine, reports,
// a corpus seeder and a trivial ceiling server. It must not know edge,
// cache or origin internals; what it learns about them comes from response
// headers (X-Cache, ETag) and the edges' /metrics.
//
// Workloads (Workload, Source):
//   - Synthetic: Zipf-popular images (N, exponent ImageSkew) × Zipf-popular
//     variants (M query strings), a browser mix that sets Accept as real
//     browsers do, and a share of revisits sent with If-None-Match of an
//     ETag seen before. Deterministic per seed and worker.
//   - Trace: replay of a file, one URL per line with optional headers
//     (ParseTrace).
//   - Miss path (Variant): ColdWidths, every image × width once in a
//     seeded order, and ZipfVariants, Zipf draws over images × widths ×
//     formats; bench/miss/tracegen writes them as traces for
//     bench/miss/run.sh (make bench-miss).
//
// Engine (Run): a closed loop of Connections workers, or an open loop at a
// fixed Rate whose latencies are measured from each request's scheduled
// start (no coordinated omission); bounded by Duration and/or Requests,
// after an optional Warmup; round-robin over several Targets, which must be
// loopback or private addresses unless AllowRemote. fasthttp's client is
// the default: on one core it drives about 3× the requests/s of net/http
// (scripts/ceiling.sh).
//
// Report: requests/s, bytes/s, latency percentiles from a log-linear
// Histogram (< 0.8% error), status codes, X-Cache breakdown and hit ratio,
// 304s for conditional requests, errors by kind, and — scraping each
// edge's /metrics before and after — origin fetches and transforms per
// request and the cluster-wide hit ratio, and a timeline per
// SampleInterval. Text (WriteText) or JSON; WriteCharts draws throughput and
// p50/p99 latency over time (gonum.org/v1/plot, PNG or SVG). Progress is
// called after each interval, for a live display.
//
// Compare replays one workload against several servers in turn
// (Contender), each in its URL dialect (Dialect: pixcdn, imgproxy, thumbor
// or a template), into a Comparison with one report per server.
//
// Seed writes synthetic JPEG/PNG images for an edge's dir: origin with the
// names the synthetic workload requests (ImageID). Sink serves fixed bytes
// from memory: the server to measure the load generator's own ceiling.
package bench
