package postgres_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"pixcdn/origin/postgres"

	"pixcdn/origin/uploads"

	"pixcdn/internal/testenv"

	"pixcdn/origin/postgres/pgtest"
)

// uploadDB migrates a database with tenants acme and beta.
func uploadDB(t *testing.T) *postgres.DB {
	t.Helper()
	db := pgtest.DB(t)
	ctx := testenv.Context(t)
	mustExec(t, db.InSystem(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tenants (id, cache_control) VALUES ('acme', 'x'), ('beta', 'x')`)
		return err
	}))
	return db
}

func newTestUpload(tenant, id string, expires time.Time) uploads.Upload {
	return uploads.Upload{
		Tenant: tenant, ID: id, PublicID: "cats/tom.jpg", Size: 12 << 20,
		Metadata: map[string]string{"public_id": "cats/tom.jpg"}, ObjectKey: "uploads/" + tenant + "/" + id,
		MultipartID: "mp-1", ExpiresAt: expires,
	}
}

func TestUploadLedgerCommitsChunksAtomically(t *testing.T) {
	db := uploadDB(t)
	ctx := testenv.Context(t)
	ledger := postgres.NewUploadLedger(db)
	mustExec(t, ledger.CreateUpload(ctx, newTestUpload("acme", "u1", time.Now().Add(time.Hour))))

	tail := bytes.Repeat([]byte{7}, 1<<20)
	chunk := uploads.Chunk{FromOffset: 0, ToOffset: 6 << 20,
		Parts:      []uploads.Part{{Number: 1, Size: 5 << 20, ETag: "e1"}},
		TailAppend: tail, TailLen: int64(len(tail)), State: uploads.Receiving}
	mustExec(t, ledger.CommitChunk(ctx, "acme", "u1", chunk))
	if err := ledger.CommitChunk(ctx, "acme", "u1", chunk); !errors.Is(err, uploads.ErrConflict) {
		t.Fatalf("second commit from offset 0 = %v, want ErrUploadConflict", err)
	}
	u, err := ledger.Upload(ctx, "acme", "u1")
	if err != nil || u.Offset != 6<<20 || u.PartCount != 1 || u.TailLen != 1<<20 || u.State != uploads.Receiving {
		t.Fatalf("after one chunk: %+v, %v", u, err)
	}
	if u.Metadata["public_id"] != "cats/tom.jpg" {
		t.Errorf("metadata = %v", u.Metadata)
	}
	got, err := ledger.Tail(ctx, "acme", "u1", nil)
	if err != nil || !bytes.Equal(got, tail) {
		t.Fatalf("tail: %d bytes, %v", len(got), err)
	}
	more := []byte("more")
	mustExec(t, ledger.CommitChunk(ctx, "acme", "u1", uploads.Chunk{FromOffset: 6 << 20,
		ToOffset: 6<<20 + 4, TailAppend: more, TailLen: int64(len(tail) + 4), State: uploads.Receiving}))
	if got, err := ledger.Tail(ctx, "acme", "u1", []byte("x")); err != nil || !bytes.Equal(got, append(append([]byte("x"), tail...), more...)) {
		t.Fatalf("tail after an append: %d bytes, %v", len(got), err)
	}
	mustExec(t, ledger.CommitChunk(ctx, "acme", "u1", uploads.Chunk{FromOffset: 6<<20 + 4,
		ToOffset: 6<<20 + 5, TailConsumed: true, TailAppend: []byte("z"), TailLen: 1, State: uploads.Receiving}))
	if got, _ := ledger.Tail(ctx, "acme", "u1", nil); string(got) != "z" {
		t.Fatalf("tail after consuming: %q", got)
	}
	parts, err := ledger.Parts(ctx, "acme", "u1")
	if err != nil || len(parts) != 1 || parts[0] != chunk.Parts[0] {
		t.Fatalf("parts = %+v, %v", parts, err)
	}
}

func TestUploadLedgerIsolatesTenants(t *testing.T) {
	db := uploadDB(t)
	ctx := testenv.Context(t)
	ledger := postgres.NewUploadLedger(db)
	mustExec(t, ledger.CreateUpload(ctx, newTestUpload("acme", "u1", time.Now().Add(time.Hour))))
	if _, err := ledger.Upload(ctx, "beta", "u1"); !errors.Is(err, uploads.ErrNotFound) {
		t.Errorf("beta reads acme's upload: %v", err)
	}
	if err := ledger.DeleteUpload(ctx, "beta", "u1"); !errors.Is(err, uploads.ErrNotFound) {
		t.Errorf("beta deletes acme's upload: %v", err)
	}
	err := ledger.CommitChunk(ctx, "beta", "u1", uploads.Chunk{ToOffset: 1, State: uploads.Receiving})
	if !errors.Is(err, uploads.ErrConflict) {
		t.Errorf("beta commits to acme's upload: %v", err)
	}
	if u, err := ledger.Upload(ctx, "acme", "u1"); err != nil || u.Offset != 0 {
		t.Fatalf("acme's upload after beta's attempts: %+v, %v", u, err)
	}
}

func TestUploadLedgerListsExpiredUploadsOfEveryTenant(t *testing.T) {
	db := uploadDB(t)
	ctx := testenv.Context(t)
	ledger := postgres.NewUploadLedger(db)
	past, future := time.Now().Add(-time.Minute), time.Now().Add(time.Hour)
	mustExec(t, ledger.CreateUpload(ctx, newTestUpload("acme", "old", past)))
	mustExec(t, ledger.CreateUpload(ctx, newTestUpload("beta", "old", past)))
	mustExec(t, ledger.CreateUpload(ctx, newTestUpload("acme", "new", future)))
	expired, err := ledger.ExpiredUploads(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, u := range expired {
		got[u.Tenant+"/"+u.ID] = true
	}
	if len(got) != 2 || !got["acme/old"] || !got["beta/old"] {
		t.Fatalf("expired = %v, want acme/old and beta/old", got)
	}
	mustExec(t, ledger.DeleteUpload(ctx, "beta", "old"))
	if expired, _ := ledger.ExpiredUploads(ctx, 10); len(expired) != 1 {
		t.Fatalf("after deleting one: %d expired", len(expired))
	}
}

func TestUploadLocksLeaseAndReleaseRequests(t *testing.T) {
	db := uploadDB(t)
	ctx := testenv.Context(t)
	locks := postgres.NewUploadLocks(db)
	ttl := time.Minute
	ok, err := locks.TryAcquire(ctx, "acme", "u1", "a", ttl)
	if err != nil || !ok {
		t.Fatalf("first acquire: %v %v", ok, err)
	}
	if ok, _ := locks.TryAcquire(ctx, "acme", "u1", "b", ttl); ok {
		t.Fatal("b acquired a held lease")
	}
	if ok, _ := locks.TryAcquire(ctx, "beta", "u1", "b", ttl); !ok {
		t.Fatal("beta's lease on its own u1 is blocked by acme's")
	}
	mustExec(t, locks.RequestRelease(ctx, "acme", "u1"))
	held, asked, err := locks.Renew(ctx, "acme", "u1", "a", ttl)
	if err != nil || !held || !asked {
		t.Fatalf("renew after release request: held=%v asked=%v err=%v", held, asked, err)
	}
	mustExec(t, locks.Release(ctx, "acme", "u1", "a"))
	if ok, _ := locks.TryAcquire(ctx, "acme", "u1", "b", ttl); !ok {
		t.Fatal("b cannot acquire a released lease")
	}
	if held, _, _ := locks.Renew(ctx, "acme", "u1", "a", ttl); held {
		t.Fatal("a still holds a lease b took")
	}
}

func TestUploadLocksLapseUnlessRenewed(t *testing.T) {
	db := uploadDB(t)
	ctx := testenv.Context(t)
	locks := postgres.NewUploadLocks(db)
	if ok, err := locks.TryAcquire(ctx, "acme", "u1", "a", 50*time.Millisecond); !ok || err != nil {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := locks.TryAcquire(ctx, "acme", "u1", "b", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a lapsed lease was never taken over")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if held, _, _ := locks.Renew(ctx, "acme", "u1", "a", time.Minute); held {
		t.Fatal("the lapsed holder renewed a lease someone else took")
	}
}
