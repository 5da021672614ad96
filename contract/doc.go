// Package contract is the wire between edges and the origin: the rules for
// tenant names and public ids that both sides enforce. It is pure: no
// servers, no storage.
//
// An id one side accepts is an id the other side accepts; the edge refuses
// every other id before it contacts the origin, so a client's bad id can
// never count as an origin failure.
package contract
