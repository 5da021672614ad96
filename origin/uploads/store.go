package uploads

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"
)

// store is pixcdn's tusd DataStore: multipart staging in MinIO, ledger in
// PostgreSQL. It keeps no per-upload state between requests, so any process
// can serve any request. Safe for concurrent use.
type store struct {
	cfg     Config
	deps    Deps
	buffers sync.Pool // of *[]byte with cap cfg.PartSize
	now     func() time.Time
}

func newStore(cfg Config, deps Deps) *store {
	s := &store{cfg: cfg, deps: deps, now: time.Now}
	s.buffers.New = func() any {
		b := make([]byte, 0, cfg.PartSize)
		return &b
	}
	return s
}

// stagingKey is where an upload's bytes are assembled in the bucket.
func stagingKey(tenant, id string) string {
	return "uploads/" + tenant + "/" + id
}

func newUploadID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// NewUpload begins the multipart upload and records it in the ledger. The
// metadata was validated by the handler's pre-create callback.
func (s *store) NewUpload(ctx context.Context, info handler.FileInfo) (_ handler.Upload, err error) {
	defer func() { err = tusError(err) }()
	x := exchangeFrom(ctx)
	if x == nil {
		return nil, errNoTenant
	}
	u := Upload{
		Tenant: x.tenant, ID: newUploadID(), PublicID: info.MetaData["public_id"],
		Size: info.Size, Metadata: info.MetaData, State: Receiving,
		CreatedAt: s.now(), ExpiresAt: s.now().Add(s.cfg.Expiry),
	}
	u.ObjectKey = stagingKey(u.Tenant, u.ID)
	if u.Size > 0 {
		mid, err := s.deps.Staging.Begin(ctx, u.ObjectKey)
		if err != nil {
			return nil, err
		}
		u.MultipartID = mid
	}
	if err := s.deps.Ledger.CreateUpload(ctx, u); err != nil {
		s.abortQuietly(u)
		return nil, err
	}
	x.setExpires(u.ExpiresAt)
	return &upload{store: s, row: u}, nil
}

// GetUpload loads the tenant's upload: 404 when unknown (or another
// tenant's), 410 once expired.
func (s *store) GetUpload(ctx context.Context, id string) (_ handler.Upload, err error) {
	defer func() { err = tusError(err) }()
	x := exchangeFrom(ctx)
	if x == nil {
		return nil, errNoTenant
	}
	if !validUploadID(id) {
		return nil, handler.ErrNotFound
	}
	u, err := s.deps.Ledger.Upload(ctx, x.tenant, id)
	if errors.Is(err, ErrNotFound) {
		return nil, handler.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if !s.now().Before(u.ExpiresAt) {
		return nil, errExpired
	}
	x.setExpires(u.ExpiresAt)
	up := &upload{store: s, row: u}
	if u.State == Assembled && x.method != http.MethodDelete {
		// Every byte arrived but ingestion failed after the last PATCH; the
		// client's next request (a HEAD, when it resumes) retries it, under
		// the upload's lease like the PATCH was.
		if err := up.FinishUpload(ctx); err != nil {
			return nil, err
		}
	}
	return up, nil
}

// AsTerminatableUpload enables the termination extension.
func (s *store) AsTerminatableUpload(u handler.Upload) handler.TerminatableUpload {
	return u.(*upload)
}

func validUploadID(id string) bool {
	return len(id) == 32 && strings.Trim(id, "0123456789abcdef") == ""
}

// abortQuietly discards the staging of an upload that could not be
// recorded; the sweeper cannot find it, so this is the only chance.
func (s *store) abortQuietly(u Upload) {
	if u.MultipartID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.deps.Staging.Abort(ctx, u.ObjectKey, u.MultipartID)
}

// detached returns a context that outlives the request by timeout, for
// recording what a request already did after its client went away.
func detached(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), timeout)
}

var errPartLimit = fmt.Errorf("uploads: upload needs more than %d parts", maxParts)
