package uploads

import (
	"errors"
	"time"
)

// The ledger's and the staging store's contract: the types a Ledger and a
// Staging implementation (origin/postgres, origin/minio) speak.

// MinPartSize is the smallest part a Staging store accepts, except for an
// upload's last part: S3's minimum, 5 MiB.
const MinPartSize = 5 << 20

// Errors a Ledger and a Staging store return.
var (
	// ErrNotFound: no such upload for this tenant (never created,
	// terminated, swept, or another tenant's).
	ErrNotFound = errors.New("uploads: upload not found")
	// ErrConflict: the upload's offset or state moved since it was read, so
	// another writer got there first and nothing was recorded.
	ErrConflict = errors.New("uploads: upload offset changed concurrently")
	// ErrNoSuchMultipart: the staging store has no such multipart upload
	// (never begun, already completed, aborted, or dropped by the server's
	// own cleanup).
	ErrNoSuchMultipart = errors.New("uploads: no such multipart upload")
)

// State is where a resumable upload is in its life.
type State string

// Upload states, in order.
const (
	Receiving State = "receiving" // bytes still arriving
	Assembled State = "assembled" // all bytes in one staging object
	Completed State = "completed" // ingested as an image version
)

// Upload is one resumable upload as the ledger records it. Offset always
// equals the sum of the recorded parts' sizes plus TailLen.
type Upload struct {
	Tenant      string
	ID          string
	PublicID    string
	Size        int64             // total bytes declared at creation
	Offset      int64             // bytes durably received
	Metadata    map[string]string // tus Upload-Metadata, decoded
	ObjectKey   string            // staging object key in the bucket
	MultipartID string            // multipart upload ID ("" when none)
	State       State
	PartCount   int   // parts recorded so far
	TailLen     int64 // bytes buffered in the tail (not yet in a part)
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Part is one staged part, as the staging store returned it and the ledger
// records it.
type Part struct {
	Number int    // 1-based
	Size   int64  // bytes
	ETag   string // from the staging store
}

// Chunk is what one PATCH durably added: the parts it completed and the
// change to the tail (received bytes not yet forming a part). The tail is a
// list of pieces, so a small PATCH appends its bytes without reading or
// rewriting what is buffered.
type Chunk struct {
	FromOffset   int64  // offset the writer read; the commit fails if it moved
	ToOffset     int64  // new offset
	Parts        []Part // parts completed by this chunk, ascending
	TailConsumed bool   // the old tail went into Parts: drop its pieces
	TailAppend   []byte // bytes to add at the end of the tail; only read
	TailLen      int64  // the tail's new length
	State        State  // new state
}
