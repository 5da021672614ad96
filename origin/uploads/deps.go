package uploads

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// Ledger records uploads, parts and buffered tails (origin/postgres).
type Ledger interface {
	CreateUpload(ctx context.Context, u Upload) error
	Upload(ctx context.Context, tenant, id string) (Upload, error)
	Tail(ctx context.Context, tenant, id string, dst []byte) ([]byte, error)
	Parts(ctx context.Context, tenant, id string) ([]Part, error)
	CommitChunk(ctx context.Context, tenant, id string, c Chunk) error
	SetUploadState(ctx context.Context, tenant, id string, from, to State) error
	DeleteUpload(ctx context.Context, tenant, id string) error
	ExpiredUploads(ctx context.Context, limit int) ([]Upload, error)
}

// Staging holds upload bytes as multipart uploads (origin/minio).
type Staging interface {
	Begin(ctx context.Context, key string) (string, error)
	PutPart(ctx context.Context, key, uploadID string, number int, data []byte) (string, error)
	Complete(ctx context.Context, key, uploadID string, parts []Part) error
	Abort(ctx context.Context, key, uploadID string) error
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Remove(ctx context.Context, key string) error
}

// Locks are cross-process leases on uploads (origin/postgres).
type Locks interface {
	TryAcquire(ctx context.Context, tenant, id, holder string, ttl time.Duration) (bool, error)
	RequestRelease(ctx context.Context, tenant, id string) error
	Renew(ctx context.Context, tenant, id, holder string, ttl time.Duration) (held, releaseRequested bool, err error)
	Release(ctx context.Context, tenant, id, holder string) error
}

// Errors an Authorizer returns.
var (
	ErrUnauthenticated = errors.New("uploads: missing or unknown API key")        // → 401
	ErrForbidden       = errors.New("uploads: key may not upload to this tenant") // → 403
)

// Authorizer decides whether r may upload to tenant: nil when the request
// carries a key with role editor or admin of tenant, else an error wrapping
// ErrUnauthenticated or ErrForbidden. Any other error is a 500.
type Authorizer func(r *http.Request, tenant string) error

// Ingestion is a completed upload handed to the origin.
type Ingestion struct {
	Tenant   string
	PublicID string
	Tags     []string
	FileType string    // the client's Upload-Metadata filetype; a hint only
	Size     int64     // exact length of Body
	Body     io.Reader // the uploaded bytes
}

// Ingested is what the origin made of a completed upload.
type Ingested struct {
	Version int64  // the new image version
	ETag    string // strong ETag of the image, quoted
}

// Ingester turns a completed upload into an image version exactly like a
// PUT. It returns an error that Status maps to an HTTP status.
type Ingester interface {
	IngestUpload(ctx context.Context, in Ingestion) (Ingested, error)
}

// IngesterFunc adapts a function to Ingester.
type IngesterFunc func(ctx context.Context, in Ingestion) (Ingested, error)

// IngestUpload calls f.
func (f IngesterFunc) IngestUpload(ctx context.Context, in Ingestion) (Ingested, error) {
	return f(ctx, in)
}

// Deps are the collaborators of the upload handler; every field is required
// except Authorize and Status.
type Deps struct {
	Ledger  Ledger
	Staging Staging
	Locks   Locks
	// Authorize checks each request but OPTIONS; nil when the server that
	// mounts the handler authorised it already (origin.HandlerOptions).
	Authorize Authorizer
	Ingester  Ingester
	// Status maps an ingestion error to an HTTP status (415, 413, 422, …);
	// a status below 500 is final and discards the upload. Nil: always 500.
	Status func(error) int
}

func (d Deps) validate() error {
	if d.Ledger == nil || d.Staging == nil || d.Locks == nil || d.Ingester == nil {
		return errors.New("uploads: Deps needs Ledger, Staging, Locks and Ingester")
	}
	return nil
}
