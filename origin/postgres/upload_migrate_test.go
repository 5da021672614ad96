package postgres_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"pixcdn/internal/testenv"
	"pixcdn/origin/postgres"
)

// A database migrated before 0101 keeps its buffered tails: they move
// from the old column into the piece table.
func TestMigration0101MovesBufferedTails(t *testing.T) {
	ctx := testenv.Context(t)
	cfg := postgres.DefaultConfig()
	cfg.DSN = testenv.Postgres(t)
	conn, err := pgx.Connect(ctx, cfg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	all, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, execSQL(conn, `CREATE TABLE schema_migrations (version integer PRIMARY KEY,
		name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`))
	for _, m := range all {
		if m.Version > 100 {
			break
		}
		mustExec(t, execSQL(conn, m.SQL))
		mustExec(t, execSQL(conn, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name))
	}
	tail := bytes.Repeat([]byte{9}, 3000)
	mustExec(t, execSQL(conn, `INSERT INTO tenants (id, cache_control) VALUES ('acme', 'x')`))
	mustExec(t, execSQL(conn, `INSERT INTO uploads (tenant, id, public_id, size, "offset", object_key, tail, expires_at)
		VALUES ('acme', 'u1', 'a.jpg', 10000, 3000, 'k', $1, now() + interval '1 hour')`, tail))

	if _, err := postgres.Migrate(ctx, cfg); err != nil {
		t.Fatalf("migrate to the latest: %v", err)
	}
	db, err := postgres.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ledger := postgres.NewUploadLedger(db)
	u, err := ledger.Upload(ctx, "acme", "u1")
	if err != nil || u.TailLen != 3000 || u.Offset != 3000 {
		t.Fatalf("after 0101: %+v, %v", u, err)
	}
	if got, err := ledger.Tail(ctx, "acme", "u1", nil); err != nil || !bytes.Equal(got, tail) {
		t.Fatalf("tail after 0101: %d bytes, %v", len(got), err)
	}
}

func execSQL(conn *pgx.Conn, sql string, args ...any) error {
	_, err := conn.Exec(context.Background(), sql, append([]any{pgx.QueryExecModeSimpleProtocol}, args...)...)
	return err
}
