// Package pgtest gives tests a migrated origin/postgres database on the
// shared throwaway PostgreSQL server (internal/testenv).
package pgtest

import (
	"testing"

	"pixcdn/internal/testenv"
	"pixcdn/origin/postgres"
)

// Migrated returns the Config of a fresh database on the test server, with
// every migration applied.
func Migrated(t testing.TB) postgres.Config {
	t.Helper()
	cfg := postgres.DefaultConfig()
	cfg.DSN = testenv.Postgres(t)
	if _, err := postgres.Migrate(testenv.Context(t), cfg); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return cfg
}

// Open opens a pool on cfg, closed when t ends.
func Open(t testing.TB, cfg postgres.Config) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(testenv.Context(t), cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

// DB opens a pool on a fresh migrated database, closed when t ends.
func DB(t testing.TB) *postgres.DB {
	t.Helper()
	return Open(t, Migrated(t))
}
