package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"pixcdn/origin"
	"pixcdn/origin/postgres"

	"pixcdn/contract"

	"pixcdn/internal/testenv"

	"pixcdn/origin/postgres/pgtest"
)

func newCatalog(t *testing.T, tenants ...string) (*postgres.DB, *postgres.Catalog) {
	t.Helper()
	db := pgtest.DB(t)
	c := postgres.NewCatalog(db)
	for _, id := range tenants {
		if err := c.CreateTenant(testenv.Context(t), origin.Tenant{ID: id, CacheControl: "public"}); err != nil {
			t.Fatal(err)
		}
	}
	return db, c
}

// TestSequencerNeverSkipsALateCommit holds a transaction that inserted an
// event open while a younger one commits its own: the sequencer must not
// number the younger event past the older one's future position, and once
// the older commits both are delivered, none skipped.
func TestSequencerNeverSkipsALateCommit(t *testing.T) {
	db, c := newCatalog(t, "acme")
	ctx := testenv.Context(t)
	slow, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(context.Background())
	if _, err := slow.Exec(ctx, `SELECT set_config('pixcdn.tenant', 'acme', true), set_config('role', 'pixcdn_app', true)`); err != nil {
		t.Fatal(err)
	}
	if _, err := slow.Exec(ctx, `INSERT INTO events (tenant_id, kind, prefix) VALUES ('acme', 'purge-prefix', 'slow')`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Purge(ctx, "acme", contract.Event{Kind: contract.KindPurgePrefix, Prefix: "fast"}); err != nil {
		t.Fatal(err)
	}
	numbered, waiting, err := c.Sequence(ctx)
	if err != nil || numbered != 0 || waiting != 1 {
		t.Fatalf("with an older transaction open: numbered %d, waiting %d (err %v); want 0 and 1", numbered, waiting, err)
	}
	if evs, _ := c.Events(ctx, 0, 10); len(evs) != 0 {
		t.Fatalf("feed shows %+v while an older writer is open", evs)
	}
	if err := slow.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if numbered, _, err = c.Sequence(ctx); err != nil || numbered != 2 {
		t.Fatalf("after the commit: numbered %d (err %v), want 2", numbered, err)
	}
	evs, err := c.Events(ctx, 0, 10)
	if err != nil || len(evs) != 2 || evs[0].Prefix != "slow" || evs[1].Prefix != "fast" || evs[0].Seq != 1 || evs[1].Seq != 2 {
		t.Fatalf("feed = %+v (err %v), want slow then fast as 1, 2", evs, err)
	}
}

// TestAbortedWriterDoesNotStallTheFeed: a rolled-back event never appears
// and does not block later ones.
func TestAbortedWriterDoesNotStallTheFeed(t *testing.T) {
	db, c := newCatalog(t, "acme")
	ctx := testenv.Context(t)
	_ = db.InTenant(ctx, "acme", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO events (tenant_id, kind, prefix) VALUES ('acme', 'purge-prefix', 'aborted')`)
		if err != nil {
			t.Fatal(err)
		}
		return context.Canceled // roll back
	})
	if _, err := c.Purge(ctx, "acme", contract.Event{Kind: contract.KindPurgePrefix, Prefix: "kept"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Sequence(ctx); err != nil {
		t.Fatal(err)
	}
	evs, err := c.Events(ctx, 0, 10)
	if err != nil || len(evs) != 1 || evs[0].Prefix != "kept" || evs[0].Seq != 1 {
		t.Fatalf("feed = %+v (err %v)", evs, err)
	}
	if last, err := c.LastSeq(ctx); err != nil || last != 1 {
		t.Fatalf("LastSeq = %d (err %v), want 1", last, err)
	}
}
