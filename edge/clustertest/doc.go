// Package clustertest holds the edge's multi-process tests: three real
// `pixcdn edge` processes (built with go build, so cgo and libvips are
// needed by the toolchain, not by this package) on loopback, joined by
// gossip, with a dir: origin or a real origin over PostgreSQL and MinIO
// (testenv.StartOriginStack), and the fault tests run under load: kills,
// origin outages, slow clients. The long ones run only under `make chaos`
// (PIXCDN_CHAOS=1). It has no non-test code.
package clustertest
