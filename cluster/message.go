package cluster

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// ErrMessage is wrapped by errors decoding a broadcast frame.
var ErrMessage = errors.New("cluster: bad broadcast message")

const (
	msgMagic  = 0xB7 // first byte of every broadcast frame
	msgIDLen  = 16
	msgHeader = 1 + msgIDLen
	// maxBroadcastLimit keeps a frame, with memberlist's per-message
	// overhead, inside one 1400-byte UDP packet.
	maxBroadcastLimit = 1200
)

// msgID identifies a broadcast cluster-wide: a random per-process prefix and a
// counter, so ids stay unique across restarts.
type msgID [msgIDLen]byte

// idSource issues message ids. Safe for concurrent use.
type idSource struct {
	prefix [8]byte
	next   atomic.Uint64
}

func newIDSource() *idSource {
	s := &idSource{}
	_, _ = rand.Read(s.prefix[:]) // never fails on Linux (Go ≥ 1.24 panics instead)
	return s
}

func (s *idSource) id() msgID {
	var id msgID
	copy(id[:8], s.prefix[:])
	binary.BigEndian.PutUint64(id[8:], s.next.Add(1))
	return id
}

// encodeMessage frames payload with id. The result is new.
func encodeMessage(id msgID, payload []byte) []byte {
	b := make([]byte, 0, msgHeader+len(payload))
	b = append(b, msgMagic)
	b = append(b, id[:]...)
	return append(b, payload...)
}

// decodeMessage splits a frame. The payload aliases b.
func decodeMessage(b []byte) (msgID, []byte, error) {
	var id msgID
	if len(b) < msgHeader {
		return id, nil, fmt.Errorf("%w: %d bytes", ErrMessage, len(b))
	}
	if b[0] != msgMagic {
		return id, nil, fmt.Errorf("%w: magic %#x", ErrMessage, b[0])
	}
	copy(id[:], b[1:msgHeader])
	return id, b[msgHeader:], nil
}

// dedup remembers the last window ids. Safe for concurrent use.
type dedup struct {
	mu   sync.Mutex
	seen map[msgID]struct{}
	ring []msgID // FIFO of remembered ids
	next int
	full bool
}

func newDedup(window int) *dedup {
	return &dedup{seen: make(map[msgID]struct{}, window), ring: make([]msgID, window)}
}

// firstTime records id and reports whether it had not been seen in the window.
func (d *dedup) firstTime(id msgID) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.seen[id]; ok {
		return false
	}
	if d.full {
		delete(d.seen, d.ring[d.next])
	}
	d.ring[d.next] = id
	d.seen[id] = struct{}{}
	d.next++
	if d.next == len(d.ring) {
		d.next, d.full = 0, true
	}
	return true
}
