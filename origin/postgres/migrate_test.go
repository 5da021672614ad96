package postgres_test

import (
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"pixcdn/internal/testenv"
	"pixcdn/origin/postgres"
)

func TestMigrateConcurrentlyAppliesEachOnce(t *testing.T) {
	ctx := testenv.Context(t)
	cfg := postgres.DefaultConfig()
	cfg.DSN = testenv.Postgres(t)
	all, err := postgres.Migrations()
	if err != nil || len(all) == 0 {
		t.Fatalf("migrations: %v (%d)", err, len(all))
	}
	const runners = 4
	applied := make([][]int, runners)
	errs := make([]error, runners)
	var wg sync.WaitGroup
	for i := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = postgres.Migrate(ctx, cfg)
		}()
	}
	wg.Wait()
	total := 0
	for i := range runners {
		if errs[i] != nil {
			t.Fatalf("runner %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	if total != len(all) {
		t.Fatalf("applied %d migrations across runners, want %d", total, len(all))
	}
	again, err := postgres.Migrate(ctx, cfg)
	if err != nil || len(again) != 0 {
		t.Fatalf("second run applied %v (err %v), want nothing", again, err)
	}
	conn, err := pgx.Connect(ctx, cfg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(all) {
		t.Fatalf("schema_migrations has %d rows (err %v), want %d", n, err, len(all))
	}
}
