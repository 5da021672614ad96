package cluster

// Member is one node of the cluster as seen in a ring snapshot. It is a plain
// value; copying it is cheap and safe.
type Member struct {
	// Name is the node's unique, stable name (Config.NodeName).
	Name string
	// InternalAddr is the node's internal HTTP host:port, from its metadata.
	InternalAddr string
	// GossipAddr is the node's gossip host:port.
	GossipAddr string
	// RingVersion is the ring version the node last advertised in its
	// metadata (0 before it built one). Forward to a peer only when this
	// equals the local Cluster.RingVersion().
	RingVersion uint64
	// Partitions is the number of partitions the member owns in this ring.
	Partitions int
	// Share is Partitions / PartitionCount, in [0,1].
	Share float64
}
