package uploads_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	mc "github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"pixcdn/internal/testenv"
	"pixcdn/origin/minio"
	"pixcdn/origin/postgres"
	"pixcdn/origin/uploads"

	"pixcdn/origin/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// backend is one database and one bucket that several origin "processes"
// (servers with their own pools) share.
type backend struct {
	// wrapStaging, when set, wraps each started origin's staging (to inject
	// failures).
	wrapStaging func(uploads.Staging) uploads.Staging
	pg          postgres.Config
	bucket      string
	client      *mc.Client
	ingested    *recorder
}

func newBackend(t testing.TB) *backend {
	t.Helper()
	ctx := testenv.Context(t)
	pg := pgtest.Migrated(t)
	db := pgtest.Open(t, pg)
	err := db.InSystem(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tenants (id, cache_control) VALUES ('acme', 'x'), ('beta', 'x')`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m := testenv.MinIO(t)
	client, err := mc.New(m.Endpoint, &mc.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	return &backend{pg: pg, bucket: m.Bucket, client: client, ingested: newRecorder()}
}

// origin is one running upload server over the backend.
type originProc struct {
	*httptest.Server
	handler *uploads.Handler
	db      *postgres.DB
	sweeper *uploads.Sweeper
}

func testConfig() uploads.Config {
	cfg := uploads.DefaultConfig()
	cfg.LockRenew = 100 * time.Millisecond
	cfg.LockTTL = 2 * time.Second
	return cfg
}

// start runs a new origin process over the backend; stop it with Close.
func (b *backend) start(t testing.TB, cfg uploads.Config) *originProc {
	t.Helper()
	db := pgtest.Open(t, b.pg)
	deps := uploads.Deps{
		Ledger:    postgres.NewUploadLedger(db),
		Staging:   minio.NewMultipart(b.client, b.bucket),
		Locks:     postgres.NewUploadLocks(db),
		Authorize: authorize,
		Ingester:  b.ingested,
		Status:    refusedStatus,
	}
	if b.wrapStaging != nil {
		deps.Staging = b.wrapStaging(deps.Staging)
	}
	h, err := uploads.New(cfg, deps, nil)
	if err != nil {
		t.Fatal(err)
	}
	sw, err := uploads.NewSweeper(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	o := &originProc{Server: httptest.NewServer(h), handler: h, db: db, sweeper: sw}
	t.Cleanup(o.Close)
	return o
}

// Close stops the server, dropping connections in flight, like a crash
// between requests.
func (o *originProc) Close() {
	o.CloseClientConnections()
	o.Server.Close()
	o.sweeper.Close()
}

func (o *originProc) endpoint(tenant string) string { return o.URL + "/v1/" + tenant + "/uploads/" }

// authorize accepts "key-T" as an editor of tenant T and "viewer-T" as a
// viewer.
func authorize(r *http.Request, tenant string) error {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok:
		return uploads.ErrUnauthenticated
	case key == "key-"+tenant:
		return nil
	case strings.HasPrefix(key, "key-") || strings.HasPrefix(key, "viewer-"):
		return uploads.ErrForbidden
	}
	return uploads.ErrUnauthenticated
}

var errRefused = errors.New("not an image")

func refusedStatus(err error) int {
	if errors.Is(err, errRefused) {
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

// recorder is the ingestion seam: it keeps what completed uploads carried.
// Bodies starting with "BAD" are refused like a non-image.
type recorder struct {
	mu       sync.Mutex
	got      map[string][]byte
	discard  bool         // benchmarks: keep nothing
	failNext atomic.Int32 // fail this many ingestions as if the database were down
}

func newRecorder() *recorder { return &recorder{got: map[string][]byte{}} }

func (r *recorder) IngestUpload(_ context.Context, in uploads.Ingestion) (uploads.Ingested, error) {
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return uploads.Ingested{}, err
	}
	if r.failNext.Add(-1) >= 0 {
		return uploads.Ingested{}, errors.New("catalog unavailable")
	}
	if int64(len(body)) != in.Size {
		return uploads.Ingested{}, fmt.Errorf("ingested %d bytes, upload declared %d", len(body), in.Size)
	}
	if bytes.HasPrefix(body, []byte("BAD")) {
		return uploads.Ingested{}, errRefused
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.discard {
		return uploads.Ingested{Version: 1, ETag: `"-"`}, nil
	}
	r.got[in.Tenant+"/"+in.PublicID] = body
	sum := sha256.Sum256(body)
	return uploads.Ingested{Version: int64(len(r.got)), ETag: `"` + hex.EncodeToString(sum[:]) + `"`}, nil
}

func (r *recorder) bytes(tenant, publicID string) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.got[tenant+"/"+publicID]
	return b, ok
}
