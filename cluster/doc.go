// Package cluster owns edge membership and key ownership: memberlist gossip,
// the immutable consistent-hash ring snapshot (Owner(key)) and cluster-wide
// broadcasts. It knows nothing of HTTP, images or what keys mean.
//
// # Membership and the ring
//
// Join starts hashicorp/memberlist (SWIM gossip, encrypted with
// Config.SecretKey) and joins the seeds, retrying in the background. Every
// membership change is debounced and then builds a new immutable Ring with
// buraksezer/consistent v1.0.0 (partitions, virtual nodes and bounded loads;
// never mix library versions or ring parameters in one cluster: nodes with other
// parameters are refused). The ring is published with an atomic pointer, so
// Owner, Forward and friends are lock-free loads; memberlist callbacks only
// signal the rebuild goroutine and never block. A rebuild the library cannot
// satisfy is recovered, counted (Stats.RingErrors), sent to subscribers as
// RingFailed, and the previous ring stays in force.
//
// The ring version is a hash of the ring parameters and the sorted member
// names, so two nodes have the same version exactly when they place every
// key identically. Each node advertises its version in its metadata (with
// its internal HTTP address, under 300 bytes in all); Forward(key) says to
// forward only to an owner whose advertised version equals ours. During a
// membership change nodes therefore serve locally until their views agree.
//
// A graceful Leave first sets a "leaving" flag in the metadata, so peers
// drop the node from their rings before it goes, then sends memberlist's
// leave message. A node that fails is remembered for Config.ReconnectWindow
// and its address is retried every Config.RejoinInterval, as are seeds that
// are not members: this heals network partitions. A node restarted under the
// same name at a new address is accepted once peers have declared the old
// address dead (after Timings.DeadNodeReclaim); until then the conflict is
// logged and the node re-announces itself to live members.
//
// # Broadcasts: what is and is not guaranteed
//
// Broadcast frames a message with a 128-bit id and hands it to memberlist's
// transmit-limited queue, which piggybacks it on gossip a bounded number of
// times (BroadcastRetransmitMult × log10(members+1)); each node that sees a message
// for the first time queues it again, so it spreads epidemically. The queue
// is bounded (Config.BroadcastBacklog): beyond it the oldest frames are
// dropped (Stats.BroadcastsDropped).
//
// Guaranteed: a message is handed to a node's handler at most once while its
// id is within the node's dedup window (Config.DedupWindow ids); the sender's
// own handler is never called for its message; handlers run one at a time on
// one goroutine per node.
//
// Not guaranteed: delivery (UDP, bounded retransmits and backlog, a full
// handler queue, partitions, nodes that join later), ordering between
// messages, or timing. Invalidations must therefore also be caught up from
// the origin's event feed; gossip only makes them fast in the common case.
package cluster
