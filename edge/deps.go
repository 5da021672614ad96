package edge

import (
	"context"
	"net/url"

	"github.com/valyala/fasthttp"

	"pixcdn/contract"
	"pixcdn/edge/eventfeed"
	"pixcdn/edge/peer"
	"pixcdn/transform"
)

// This file lists every dependency of the edge as the small interfaces it
// needs. cmd/pixcdn adapts the real packages (cachestore, cluster,
// origin/client, transform/libvips) to them; tests use one-line fakes.

// Deps are the edge's collaborators. Cache, Ring, Origin and Codec are
// required; Peers, Broadcaster and Events are optional (single node, no
// gossip, no origin feed).
type Deps struct {
	Cache       Cache
	Ring        Ring
	Origin      Origin
	Codec       Codec
	Peers       PeerClient
	Broadcaster Broadcaster
	Events      eventfeed.Source
	// FeedState persists the last applied event sequence; required with Events.
	FeedState eventfeed.Store
}

// Cache is the tiered byte cache (cachestore). Implementations are safe for
// concurrent use and never block on the network.
type Cache interface {
	// Get returns the entry under key. The caller must not modify
	// Entry.Body; it stays valid after later cache operations.
	Get(key []byte) (Entry, bool)
	// Guard is taken before a fill starts; Set with it drops the entry if a
	// purge covering ref happened in between, so a slow fill never
	// resurrects a purged image.
	Guard(ref ImageRef) Guard
	// Set stores e under key unless g was invalidated by a purge. The cache
	// owns e.Body afterwards.
	Set(key []byte, e Entry, g Guard)
	// Delete removes key.
	Delete(key []byte)
	// Purge invalidates every entry matching p; it is idempotent and O(1).
	Purge(p Purge)
	// Stats reports the cache's size by tier.
	Stats() CacheStats
}

// TieredCache is implemented by a Cache that can say which tier answered
// a read: traced fills record it ("memory", "disk").
type TieredCache interface {
	// GetTier is Cache.Get that also returns the tier that held the
	// entry.
	GetTier(key []byte) (e Entry, tier string, ok bool)
}

// Guard is an opaque purge-generation snapshot returned by Cache.Guard.
type Guard any

// Ring answers which node owns a key. Owner is lock-free and cheap.
type Ring interface {
	// Owner returns the owning peer, and self=true when this node owns key
	// or when the ring is not agreed yet (then the node serves it itself).
	Owner(key []byte) (p Peer, self bool)
	// Members returns the current members, for /_cluster and metrics.
	Members() []Peer
}

// Peer is another edge node, reachable on its internal address.
type Peer struct {
	Name         string `json:"name"`
	InternalAddr string `json:"internal_addr"`
	// Share is the fraction of the ring the peer owns (0..1), for /_cluster.
	Share float64 `json:"share"`
	// RingVersion is the ring version the peer advertises (0 if unknown).
	RingVersion uint64 `json:"ring_version"`
}

// RingVersioner is implemented by rings that have versions; /_cluster
// shows the version so operators (and tests) can see convergence.
type RingVersioner interface {
	RingVersion() uint64
}

// Broadcaster sends a message to every other node (cluster gossip). The
// edge receives broadcasts through Server.HandleBroadcast.
type Broadcaster interface {
	Broadcast(msg []byte) error
}

// Origin fetches originals. Implementations are safe for concurrent use and
// honour ctx. Errors wrap ErrNotFound, ErrOriginTimeout, ErrSourceTooLarge or
// ErrOrigin so the edge can pick a status.
type Origin interface {
	// Fetch returns the original; with ifNoneMatch set and unchanged it
	// returns an Original with NotModified and no Body.
	Fetch(ctx context.Context, tenant, publicID, ifNoneMatch string) (Original, error)
}

// Original is an image as the origin serves it (package contract).
type Original = contract.Original

// Codec is the edge's view of the transform package: option parsing,
// negotiation and the (admitted, bounded) processor. NewCodec adapts a
// transform.Processor.
type Codec interface {
	// Parse parses an option query (presets already expanded). Errors wrap
	// ErrInvalidOption with a short user-facing message.
	Parse(query string) (Variant, error)
	// Negotiate returns the format part of the variant key for a variant
	// whose format is auto, from the client's Accept header only: the key
	// must not depend on the source, which is unknown before the fill.
	Negotiate(accept string) string
	// Transform makes the variant from src, probed once by the caller;
	// format is the variant's format or what Negotiate returned. Errors
	// wrap ErrUnsupported, ErrSourceTooLarge, ErrUndecodable,
	// ErrOverloaded or a context error.
	Transform(ctx context.Context, src transform.Source, v Variant, format string) (Rendered, error)
}

// ValuesParser is implemented by a Codec that parses options already
// split into values (NewCodec's): the edge hands it the values the URL
// parser decoded, so that a URL's query is parsed once.
type ValuesParser interface {
	// ParseValues is Parse of the query whose decoded values vals are
	// (imgurl.Request.Values); it does not modify vals.
	ParseValues(vals url.Values) (Variant, error)
}

// FormatBudget is implemented by a Codec whose negotiated formats may be
// slow to encode (NewCodec's): with Config.FormatBudgets an uncached
// negotiated variant is then answered with a cheaper class's variant while
// its own is made in the background (budget.go).
type FormatBudget interface {
	// Cheaper returns the format (as Negotiate returns them) to answer
	// with while format's variant is made, and false when format is not
	// negotiated or its variant is not slow to make.
	Cheaper(format string) (cheaper string, ok bool)
}

// MasterCodec is implemented by a Codec that makes working masters
// (NewCodec's, over a transform.MasterProcessor): pre-shrunk copies of
// large originals that smaller variants are made from (see master.go).
// With another Codec, or Config.MasterBound 0, every variant is made from
// its original.
type MasterCodec interface {
	// MakeMaster returns the master of src, whose long side is bound,
	// and its size; an error wrapping transform.ErrNoMaster when src
	// needs none (its long side is within bound, or it is animated).
	MakeMaster(ctx context.Context, src transform.Source, bound int) (Rendered, transform.Size, error)
	// MasterFits reports whether v can be made from a master of size
	// master of an original of size orig. Pure and cheap.
	MasterFits(v Variant, orig, master transform.Size) bool
	// TransformMaster is Transform from a master of an original of size
	// orig: the result has the size Transform gives from the original,
	// and the same format.
	TransformMaster(ctx context.Context, master transform.Source, orig transform.Size, v Variant, format string) (Rendered, error)
}

// Rendered is a transform's output.
type Rendered struct {
	Body        []byte
	ContentType string
	Format      string // the format actually produced ("webp", "jpeg", …)
}

// Variant is a parsed option set.
type Variant struct {
	// Canonical is the deterministic option string (defaults omitted).
	Canonical string
	// Format is the requested output format name, "auto" to negotiate.
	Format string
	// Original reports that there are no options: serve the original bytes.
	Original bool
	// Opts are the options parsed, checked once (valid and normalised),
	// passed back to the Codec; zero for the original, or from a Codec
	// that keeps its own.
	Opts transform.Checked
}

// PeerClient talks to other edge nodes (edge/peer.Client).
type PeerClient interface {
	Forward(ctx context.Context, addr string, req *fasthttp.Request, resp *fasthttp.Response) error
	FetchOriginal(ctx context.Context, addr, tenant, publicID string, revalidate bool, variant string) (peer.Original, error)
}

// StatusFetcher is implemented by a PeerClient that can read another
// node's /_cluster JSON (edge/peer.Client); without it the cluster view
// lists this node only.
type StatusFetcher interface {
	FetchStatus(ctx context.Context, addr string) ([]byte, error)
}

var (
	_ PeerClient    = (*peer.Client)(nil)
	_ StatusFetcher = (*peer.Client)(nil)
)
