package cachestore

import "time"

// Entry is one cached object and what serving it needs.
//
// Times are wall-clock instants; their monotonic readings and locations are
// not kept. A zero FreshUntil means fresh forever (immutable content); a
// StaleUntil that is zero or before FreshUntil means no stale period. The
// store only drops an entry after both; what is fresh or stale between
// them is the caller's to decide.
type Entry struct {
	Body []byte
	// Meta is the caller's own metadata, stored and returned with the entry
	// as opaque bytes: what the caller keeps that Entry does not model
	// (the edge's caching policy, for one).
	Meta         []byte
	ContentType  string
	ETag         string
	LastModified time.Time
	Created      time.Time
	FreshUntil   time.Time
	StaleUntil   time.Time
	Image        ImageRef
}

// ImageRef names the image an entry was made from; purges match on it.
type ImageRef struct {
	Tenant   string
	PublicID string
	Version  int64    // origin version of the image
	Tags     []string // tags of the image, for purge by tag
}

// expiresAt is the instant after which e is never served; zero means never.
func (e Entry) expiresAt() time.Time {
	if e.FreshUntil.IsZero() {
		return time.Time{}
	}
	if e.StaleUntil.After(e.FreshUntil) {
		return e.StaleUntil
	}
	return e.FreshUntil
}

// size is what e costs a budget: its body plus its headers, roughly.
func (e Entry) size(keyLen int) int64 {
	n := len(e.Body) + len(e.Meta) + keyLen + len(e.ContentType) + len(e.ETag) +
		len(e.Image.Tenant) + len(e.Image.PublicID) + 128
	for _, t := range e.Image.Tags {
		n += len(t) + 16
	}
	return int64(n)
}
