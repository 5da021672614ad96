package postgres_test

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"pixcdn/internal/testenv"
	"pixcdn/origin"
	"pixcdn/origin/postgres"

	"pixcdn/origin/postgres/pgtest"
)

func TestInTenantRunsAsNonOwnerWithForcedRLS(t *testing.T) {
	db := pgtest.DB(t)
	ctx := testenv.Context(t)
	mustExec(t, db.InSystem(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tenants (id, cache_control) VALUES ('acme', 'x'), ('beta', 'x')`)
		return err
	}))
	mustExec(t, db.InTenant(ctx, "acme", func(tx pgx.Tx) error {
		var user string
		var owner bool
		err := tx.QueryRow(ctx, `SELECT current_user, pg_has_role(current_user, (SELECT tableowner FROM pg_tables WHERE tablename = 'blobs'), 'USAGE')`).Scan(&user, &owner)
		if err == nil && (user != postgres.AppRole || owner) {
			t.Errorf("transaction runs as %q (owner privileges %v), want %q without", user, owner, postgres.AppRole)
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO blobs (tenant_id, sha256, bytes) VALUES ('acme', 'aa', 1)`)
		return err
	}))
	err := db.InTenant(ctx, "beta", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO blobs (tenant_id, sha256, bytes) VALUES ('acme', 'bb', 1)`)
		return err
	})
	if err == nil {
		t.Fatal("tenant beta inserted a row for tenant acme")
	}
	for _, scope := range []string{"beta", "acme"} {
		var n int
		mustExec(t, db.InTenant(ctx, scope, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM blobs`).Scan(&n)
		}))
		if want := map[string]int{"acme": 1, "beta": 0}[scope]; n != want {
			t.Errorf("tenant %s sees %d blobs, want %d", scope, n, want)
		}
	}
	var leaked int
	mustExec(t, db.InTenant(ctx, "beta", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM blobs WHERE tenant_id = 'acme'`)
		leaked = int(tag.RowsAffected())
		return err
	}))
	if leaked != 0 {
		t.Fatalf("tenant beta deleted %d of acme's rows", leaked)
	}
}

func TestScopeDoesNotLeakAcrossPooledTransactions(t *testing.T) {
	db := pgtest.DB(t)
	ctx := testenv.Context(t)
	mustExec(t, db.InTenant(ctx, "acme", func(pgx.Tx) error { return nil }))
	var scope, role string
	conn, err := db.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	err = conn.QueryRow(ctx, `SELECT coalesce(current_setting('pixcdn.tenant', true), ''), current_user`).Scan(&scope, &role)
	if err != nil || scope != "" || role == postgres.AppRole {
		t.Fatalf("after the transaction the connection has scope %q role %q (err %v)", scope, role, err)
	}
}

func TestInTenantRejectsBadScopes(t *testing.T) {
	db := pgtest.DB(t)
	for _, bad := range []string{"", "*", "Acme", "a b", "x'--", "-lead"} {
		err := db.InTenant(testenv.Context(t), bad, func(pgx.Tx) error { return nil })
		if !errors.Is(err, postgres.ErrBadScope) {
			t.Errorf("InTenant(%q) = %v, want ErrBadScope", bad, err)
		}
	}
}

func mustExec(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestPipelinedReadsDoNotLeakScope(t *testing.T) {
	ctx := testenv.Context(t)
	cfg := postgres.DefaultConfig()
	cfg.DSN, cfg.MaxConns = testenv.Postgres(t), 1
	if _, err := postgres.Migrate(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := postgres.NewCatalog(db)
	if err := c.CreateTenant(ctx, origin.Tenant{ID: "acme", CacheControl: "x"}); err != nil {
		t.Fatal(err)
	}
	if tn, err := c.Tenant(ctx, "acme"); err != nil || tn.ID != "acme" {
		t.Fatalf("tenant: %+v, %v", tn, err)
	}
	if _, err := c.Image(ctx, "acme", "none"); !errors.Is(err, origin.ErrNotFound) {
		t.Fatalf("image: %v", err)
	}
	var scope, role string
	err = db.Pool().QueryRow(ctx, `SELECT coalesce(current_setting('pixcdn.tenant', true), ''), current_user`).Scan(&scope, &role)
	if err != nil || scope != "" || role == postgres.AppRole {
		t.Fatalf("after pipelined reads the only connection has scope %q role %q (err %v)", scope, role, err)
	}
	if _, err := c.Tenant(ctx, "beta"); !errors.Is(err, origin.ErrNotFound) {
		t.Fatalf("tenant beta: %v", err)
	}
}
