package origin

import (
	"context"
	"io"
	"time"

	"pixcdn/contract"
)

// Blobs stores immutable objects (image bytes under content-addressed
// keys). Implementations are safe for concurrent use. The MinIO adapter
// lives in origin/minio.
type Blobs interface {
	// Put stores size bytes read from r under key, replacing nothing of
	// value: keys are content addresses, so a second Put of a key writes
	// identical bytes. It blocks until the object is durable.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Open returns the object under key for reading and seeking; the caller
	// closes it. It may fetch lazily: a missing key yields ErrNotFound from
	// Open or from the first Read or Seek.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Walk calls fn for each object whose key starts with prefix, with its
	// last-modified time, in key order, until fn returns an error (which
	// Walk returns). Objects written during the walk may be missed.
	Walk(ctx context.Context, prefix string, fn func(key string, modified time.Time) error) error
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
}

// Catalog keeps tenants, keys, images, versions and the outbox. Every
// tenant-scoped method touches only that tenant's rows, enforced by the
// store itself (row-level security), not by the caller. Implementations are
// safe for concurrent use; methods block on the database. The PostgreSQL
// adapter lives in origin/postgres.
type Catalog interface {
	CreateTenant(ctx context.Context, t Tenant) error
	Tenant(ctx context.Context, id string) (Tenant, error)
	// CreateKey stores a key's hash; tenant "" makes a system key.
	CreateKey(ctx context.Context, k KeyRecord) error
	// LookupKey finds the key whose SHA-256 is hash, or ErrUnauthorized.
	LookupKey(ctx context.Context, hash []byte) (KeyRecord, error)

	// CommitVersion makes v the image's new current version, in one
	// transaction with its outbox event (kind updated). Writers of one
	// image are serialised; cond is checked against the current version
	// under that lock (ErrPreconditionFailed). When the catalog has no
	// record of blob (v.Tenant, v.SHA256), it calls store inside the
	// transaction while holding a shared lock on the blob, so DiscardBlob
	// cannot delete bytes a committing writer relies on; store must put
	// the bytes durably and return nil, or the commit is abandoned.
	CommitVersion(ctx context.Context, v Version, cond Precondition, store func(context.Context) error) (Image, contract.Event, error)
	// DiscardBlob calls del if no committed row references the tenant's
	// blob sha, under an exclusive lock on the blob. Ingestion calls it
	// after a failed CommitVersion so no orphan object remains.
	DiscardBlob(ctx context.Context, tenant, sha string, del func(context.Context) error) error

	Image(ctx context.Context, tenant, publicID string) (Image, error)
	ListImages(ctx context.Context, tenant string, q ListQuery) ([]Image, error)
	// PatchImage applies p; it returns the event written when visibility
	// changed (Event.Seq is 0 and Kind "" when none was written).
	PatchImage(ctx context.Context, tenant, publicID string, p Patch) (Image, contract.Event, error)
	DeleteImage(ctx context.Context, tenant, publicID string, cond Precondition) (contract.Event, error)
	// Purge writes a purge-tag or purge-prefix event.
	Purge(ctx context.Context, tenant string, ev contract.Event) (contract.Event, error)

	// Events returns up to limit sequenced events with Seq > after, in
	// Seq order, from every tenant. A sequence number, once returned, is
	// never followed by a smaller one, and no committed event is skipped.
	Events(ctx context.Context, after int64, limit int) ([]contract.Event, error)
	// LastSeq returns the highest sequenced event's Seq (0 when none).
	LastSeq(ctx context.Context) (int64, error)
	Ping(ctx context.Context) error
}

// Precondition is an HTTP conditional on the current version.
type Precondition struct {
	// IfMatch is a strong ETag (quoted) or "*"; empty means no condition.
	IfMatch string
	// IfNoneMatchAny fails when the image exists (If-None-Match: *).
	IfNoneMatchAny bool
}

// Check returns ErrPreconditionFailed when cur (exists says whether there
// is a current version) does not satisfy p.
func (p Precondition) Check(exists bool, cur Image) error {
	if p.IfNoneMatchAny && exists {
		return ErrPreconditionFailed
	}
	if p.IfMatch == "" {
		return nil
	}
	if !exists || (p.IfMatch != "*" && !etagListHas(p.IfMatch, cur.ETag())) {
		return ErrPreconditionFailed
	}
	return nil
}

// ListQuery selects images for listing, in public_id order.
type ListQuery struct {
	Tag    string // only images carrying this tag ("" = any)
	Prefix string // only public ids starting with this ("" = any)
	After  string // keyset cursor: public ids strictly greater
	Limit  int    // page size (1..1000)
}

// Patch changes an image's mutable metadata; nil fields stay unchanged.
type Patch struct {
	Tags       *[]string
	Metadata   []byte // JSON object; nil = unchanged
	Visibility *Visibility
}

// Version is what ingestion hands the catalog: a new version's facts.
type Version struct {
	Tenant     string
	PublicID   string
	SHA256     string // hex
	Bytes      int64
	Format     string // jpeg, png, webp, avif, heif, gif
	Width      int
	Height     int
	Tags       []string // nil keeps the current tags (empty on create)
	Metadata   []byte   // JSON object; nil keeps the current metadata
	Visibility Visibility
	At         time.Time // set by the catalog
}
