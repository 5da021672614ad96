package main

import (
	"pixcdn/cluster"
	"pixcdn/edge"
)

// clusterRing adapts cluster.Cluster to edge.Ring: a key is served here
// unless its owner is another node that agrees on the ring version.
type clusterRing struct{ c *cluster.Cluster }

func (r clusterRing) Owner(key []byte) (edge.Peer, bool) {
	m, forward := r.c.Forward(key)
	return edge.Peer{Name: m.Name, InternalAddr: m.InternalAddr}, !forward
}

func (r clusterRing) Members() []edge.Peer {
	ms := r.c.Members()
	out := make([]edge.Peer, len(ms))
	for i, m := range ms {
		out[i] = edge.Peer{Name: m.Name, InternalAddr: m.InternalAddr, Share: m.Share, RingVersion: m.RingVersion}
	}
	return out
}

func (r clusterRing) RingVersion() uint64 { return r.c.RingVersion() }

// singleRing is the ring of a node running alone: it owns every key.
type singleRing struct{ name, addr string }

func (r singleRing) Owner([]byte) (edge.Peer, bool) {
	return edge.Peer{Name: r.name, InternalAddr: r.addr}, true
}

func (r singleRing) Members() []edge.Peer {
	return []edge.Peer{{Name: r.name, InternalAddr: r.addr, Share: 1}}
}
