package edge

import (
	"sync"
	"sync/atomic"
)

// feedPositions is what this node knows of the origin's event feed, so it
// never takes a copy from a peer that may predate an event it has applied.
//
// Until every edge has applied an event, a node that has may ask a peer
// that has not (the variant's owner, the original's owner) and get the old
// version back, which it would then cache. Each peer answer therefore
// carries the feed position its sender had applied when it began
// answering (peer.HeaderFeedPosition); a node refuses an answer whose
// position is below the newest event it applied for that tenant, and
// serves or fetches the image itself instead. Safe for concurrent use.
type feedPositions struct {
	// applied is the contiguous feed position: every event with a
	// sequence number up to it has been applied here.
	applied atomic.Int64
	mu      sync.Mutex
	latest  map[string]int64 // tenant → highest seq of an event applied here, on any path
}

func newFeedPositions() *feedPositions { return &feedPositions{latest: map[string]int64{}} }

// noteEvent records that the event seq of tenant is being applied. Call it
// before the event's purge, so no copy taken after the purge can predate it.
func (f *feedPositions) noteEvent(tenant string, seq int64) {
	if seq <= 0 || tenant == "" {
		return
	}
	f.mu.Lock()
	f.latest[tenant] = max(f.latest[tenant], seq)
	f.mu.Unlock()
}

// advance records the contiguous feed position pos.
func (f *feedPositions) advance(pos int64) { f.applied.Store(pos) }

// peerCurrent reports whether a peer's answer about tenant, sent at feed
// position peerPos (known says the peer sent one), can be taken: the peer
// had applied every event of tenant this node has. An answer without a
// position (a peer without an event feed) is taken.
func (f *feedPositions) peerCurrent(tenant string, peerPos int64, known bool) bool {
	if !known {
		return true
	}
	f.mu.Lock()
	latest := f.latest[tenant]
	f.mu.Unlock()
	return peerPos >= latest
}
