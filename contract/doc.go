// Package contract is the wire between edges and the origin, imported by
// both sides: the rules for tenant names and public ids that both enforce
// (ids.go); an original's metadata and the Pixcdn-* headers that carry it
// (original.go); the invalidation events of the origin's feed and pushes,
// and the purge request an edge takes on POST /_purge and gossips to the
// cluster (event.go). It is pure: no servers, no storage.
//
// An id one side accepts is an id the other side accepts; the edge refuses
// every other id before it contacts the origin, so a client's bad id can
// never count as an origin failure. An event means one purge
// (Event.Purge), whichever path brings it; receivers apply each event once,
// by PurgeRequest.DedupKey.
package contract
