package postgres_test

import (
	"context"
	"os"
	"testing"
	"time"

	"pixcdn/internal/testenv"
	"pixcdn/origin/postgres"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// openDB migrates a fresh database and opens a pool on it.
func openDB(t *testing.T) *postgres.DB {
	t.Helper()
	ctx := testContext(t)
	cfg := postgres.DefaultConfig()
	cfg.DSN = testenv.Postgres(t)
	if _, err := postgres.Migrate(ctx, cfg); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	db, err := postgres.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
