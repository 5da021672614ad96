package peer

import (
	"crypto/subtle"
	"errors"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/propagation"

	"pixcdn/contract"
)

// Protocol constants. Every peer request carries the cluster secret as a
// bearer token and the hop header naming the sender; a request with the hop
// header is served by the receiver itself and never forwarded again.
const (
	// PathVariant prefixes a forwarded public request:
	// /_peer/v/{tenant}/{public_id}?{query as sent}.
	PathVariant = "/_peer/v"
	// PathOriginal prefixes an original fetch: /_peer/o/{tenant}/{public_id}.
	PathOriginal = "/_peer/o"
	// HeaderHop names the node that forwarded the request.
	HeaderHop = "Pixcdn-Hop"
	// HeaderClient carries the address of the client a forwarded request
	// came from, for the owner's per-client limits.
	HeaderClient = "Pixcdn-Client"
	// Headers describing an original: the origin's (package contract).
	HeaderVersion    = contract.HeaderVersion
	HeaderVisibility = contract.HeaderVisibility
	HeaderTags       = contract.HeaderTags
	// HeaderProvisional marks an owner's answer to a forwarded request as
	// a stand-in for a variant still being made (a format budget's
	// cheaper format): the forwarding node relays it but keeps no hot
	// copy of it.
	HeaderProvisional = "Pixcdn-Provisional"
	// HeaderFeedPosition, on a peer's answer, is the origin event feed
	// position the peer had applied when it began answering: every event
	// with a sequence number up to it had been applied there. Absent when
	// the peer follows no event feed.
	HeaderFeedPosition = "Pixcdn-Feed-Position"
	// HeaderSize and HeaderMasterSize ("WxH") answer an original fetch
	// that named a variant (QueryVariant) with the original's master: the
	// size of the original and of the master the body holds. Without
	// them the body is the original.
	HeaderSize       = "Pixcdn-Size"
	HeaderMasterSize = "Pixcdn-Master-Size"
	// QueryVariant is the query parameter of an original fetch naming the
	// variant (canonical options) the original is wanted for: the owner
	// may then answer with the original's working master.
	QueryVariant = "variant"
	// HeaderBackground marks an original fetch made for background work
	// (transform.WithBackground): the owner makes the master it may send
	// as background work too.
	HeaderBackground = "Pixcdn-Background"
)

// SetFeedPosition sets HeaderFeedPosition on a peer answer.
func SetFeedPosition(h *fasthttp.ResponseHeader, pos int64) {
	h.Set(HeaderFeedPosition, strconv.FormatInt(pos, 10))
}

// FeedPosition reads HeaderFeedPosition from a peer answer; known is false
// when the peer sent none (or an unreadable one).
func FeedPosition(h *fasthttp.ResponseHeader) (pos int64, known bool) {
	v := h.Peek(HeaderFeedPosition)
	if len(v) == 0 {
		return 0, false
	}
	pos, err := strconv.ParseInt(string(v), 10, 64)
	return pos, err == nil
}

// Sentinel errors returned by Client.
var (
	// ErrNotFound: the peer answered 404 for an original.
	ErrNotFound = errors.New("peer: not found")
	// ErrPeer: the peer could not be reached or answered with an error.
	ErrPeer = errors.New("peer: request failed")
)

// Config configures a Client.
type Config struct {
	// Secret is the cluster secret sent to peers. Required.
	Secret string
	// MaxBodyBytes bounds a response body. Default 64 MiB.
	MaxBodyBytes int
	// DialTimeout bounds connecting to a peer, so a dead peer fails fast.
	// Default 300ms.
	DialTimeout time.Duration
	// MaxConnsPerPeer bounds connections to one peer. Default 512.
	MaxConnsPerPeer int
	// Dial replaces TCP dialing (in-memory tests). Default nil: TCP.
	Dial fasthttp.DialFunc
	// Self is this node's name, sent in the hop header. Default "edge".
	Self string
	// Propagator writes the trace context of a request's ctx (the span
	// of the forward or original fetch) into its headers, so the peer
	// joins the trace. Default nil: no trace headers are sent.
	Propagator propagation.TextMapPropagator
}

// DefaultConfig returns the documented defaults (Secret still required).
func DefaultConfig() Config {
	return Config{MaxBodyBytes: 64 << 20, DialTimeout: 300 * time.Millisecond, MaxConnsPerPeer: 512, Self: "edge"}
}

// Validate reports an invalid config.
func (c Config) Validate() error {
	switch {
	case c.Secret == "":
		return errors.New("peer: Secret is empty")
	case c.MaxBodyBytes < 1, c.DialTimeout <= 0, c.MaxConnsPerPeer < 1:
		return errors.New("peer: MaxBodyBytes, DialTimeout and MaxConnsPerPeer must be positive")
	case c.Self == "":
		return errors.New("peer: Self is empty")
	}
	return nil
}

// Authorized reports whether a request carries the cluster secret. The
// comparison is constant-time.
func Authorized(h *fasthttp.RequestHeader, secret string) bool {
	if secret == "" {
		return false
	}
	got := h.Peek(fasthttp.HeaderAuthorization)
	const prefix = "Bearer "
	if len(got) <= len(prefix) || string(got[:len(prefix)]) != prefix {
		return false
	}
	return subtle.ConstantTimeCompare(got[len(prefix):], []byte(secret)) == 1
}

// IsHop reports whether a request was forwarded by a peer.
func IsHop(h *fasthttp.RequestHeader) bool { return len(h.Peek(HeaderHop)) > 0 }
