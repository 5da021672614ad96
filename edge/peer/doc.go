// Package peer owns the node-to-node protocol on an edge's internal port:
// forwarding a variant request to its ring owner and fetching originals
// from a peer, authenticated with the cluster secret. It does not know how
// owners are chosen or how variants are made.
package peer
