// Package clustertest holds the edge's multi-process tests: three real
// `pixcdn edge` processes (built with go build, so cgo and libvips are
// needed by the toolchain, not by this package) on loopback, joined by
// gossip, with a dir: origin. It has no non-test code.
package clustertest
