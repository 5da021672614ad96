package bench

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/valyala/fasthttp"
)

// X-Cache values an edge sends (ARCHITECTURE.md), plus the engine's own
// buckets for a missing or unrecognised header.
const (
	CacheHit         = "HIT"
	CacheMiss        = "MISS"
	CacheStale       = "STALE"
	CacheRevalidated = "REVALIDATED"
	CachePeer        = "PEER"
	CacheNone        = "none"
	CacheOther       = "other"
)

// cacheKind maps an X-Cache value to one of cacheKindsArr by its first token
// ("HIT", "hit, peer" → HIT); it does not allocate.
func cacheKind(v []byte) string {
	end := 0
	for end < len(v) && v[end] != ',' && v[end] != ' ' && v[end] != ';' {
		end++
	}
	tok := v[:end]
	for _, k := range cacheKindsArr[:5] {
		if len(tok) == len(k) && equalFoldASCII(string(tok), k) {
			return k
		}
	}
	if end == 0 {
		return CacheNone
	}
	return CacheOther
}

var errBodyTooLarge = errors.New("response body larger than max body bytes")

// Error kinds in reports.
const (
	ErrKindTimeout   = "timeout"
	ErrKindRefused   = "refused"
	ErrKindReset     = "reset"
	ErrKindNoConns   = "no-free-conns"
	ErrKindTooLarge  = "body-too-large"
	ErrKindCancelled = "cancelled"
	ErrKindOther     = "other"
)

// errorKind classifies a transport error into one of errorKindsArr.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return ErrKindCancelled
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout),
		errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ErrKindTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrKindRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, fasthttp.ErrConnectionClosed):
		return ErrKindReset
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return ErrKindNoConns
	case errors.Is(err, fasthttp.ErrBodyTooLarge), errors.Is(err, errBodyTooLarge):
		return ErrKindTooLarge
	}
	return ErrKindOther
}
