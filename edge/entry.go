package edge

import (
	"time"

	"pixcdn/transform"
)

// Entry is a cached response: a variant or an original.
type Entry struct {
	Body         []byte
	ContentType  string
	ETag         string // strong, quoted; for variants derived from OriginETag
	LastModified time.Time
	Created      time.Time // when the entry was filled or last revalidated
	FreshUntil   time.Time
	StaleUntil   time.Time // end of stale-if-error; the cache drops it after
	Image        ImageRef
	Policy       Policy
	// OriginETag is the original's ETag, used to revalidate with the origin.
	OriginETag string
	// Provisional marks an answer that stands in for a variant still being
	// made (see provisional in budget.go). Such an entry is only ever
	// served, never stored: not in the cache, nor in L0 or as a hot copy.
	Provisional bool
	// probe is Body as transform probed it, when this process did
	// (probed); never stored in the cache (unstored), which keeps bytes,
	// not what a process learnt of them. A pointer keeps Entry, copied on
	// every hit, small.
	probe *transform.Source
}

// probed returns e's Body as a probed transform.Source, probing it the
// first time only. Errors are mapped as the codec's (mapTransformError).
func (e *Entry) probed() (transform.Source, error) {
	if e.probe == nil {
		src, err := newSource(e.Body)
		if err != nil {
			return transform.Source{}, mapTransformError(err)
		}
		e.probe = &src
	}
	return *e.probe, nil
}

// newSource probes bytes for a fill: transform.NewSource, which tests
// replace to count probes.
var newSource = transform.NewSource

// unstored returns e as a cache keeps it: without its probe.
func (e Entry) unstored() Entry {
	e.probe = nil
	return e
}

// ImageRef names the image an entry was made from, for purges.
type ImageRef struct {
	Tenant, PublicID string
	Version          int64
	Tags             []string
	Signed           bool // the origin marked the image visibility=signed
}

// Purge selects entries to invalidate. A purge with only Tenant (or All)
// covers the whole tenant; an empty Tenant with All covers everything.
type Purge struct {
	Tenant    string
	PublicIDs []string
	Tags      []string
	Prefix    string
	All       bool
}

// CacheStats is the cache's size, for metrics and /_cluster.
type CacheStats struct {
	MemoryBytes     int64 `json:"memory_bytes"`
	DiskBytes       int64 `json:"disk_bytes"`
	MemoryEntries   int64 `json:"memory_entries"`
	DiskEntries     int64 `json:"disk_entries"`
	MemoryEvictions int64 `json:"memory_evictions"`
	DiskEvictions   int64 `json:"disk_evictions"`
	// PurgeScopes counts the purge records the cache keeps (one per image,
	// tag or prefix purged, until no entry can need it).
	PurgeScopes int64 `json:"purge_scopes"`
}

// state is where an entry stands at a moment.
type state int

const (
	fresh         state = iota
	staleServable       // within stale-while-revalidate: serve, revalidate in background
	staleOnError        // within stale-if-error only: serve only if the origin fails
	expired
)

func (e *Entry) state(now time.Time) state {
	switch {
	case now.Before(e.FreshUntil):
		return fresh
	case now.Before(e.FreshUntil.Add(e.Policy.SWR)):
		return staleServable
	case now.Before(e.StaleUntil):
		return staleOnError
	}
	return expired
}
