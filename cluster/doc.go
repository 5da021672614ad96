// Package cluster owns edge membership and key ownership: memberlist gossip,
// the immutable consistent-hash ring snapshot (Owner(key)) and cluster-wide
// broadcasts. It knows nothing of HTTP, images or what keys mean.
package cluster
