package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is a pool of connections to the origin's database. It is safe for
// concurrent use. Every query of the service goes through InTenant or
// InSystem, which scope row-level security to one transaction.
type DB struct {
	pool *pgxpool.Pool
	cfg  Config
}

// Open validates cfg and connects (it pings once). It does not migrate;
// call Migrate first.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pc.MaxConns = cfg.MaxConns
	if cfg.TracerProvider != nil {
		pc.ConnConfig.Tracer = newQueryTracer(cfg.TracerProvider)
	}
	if cfg.StatementTimeout > 0 {
		ms := strconv.FormatInt(cfg.StatementTimeout.Milliseconds(), 10)
		pc.ConnConfig.RuntimeParams["statement_timeout"] = ms
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: ping: %w", err)
	}
	return &DB{pool: pool, cfg: cfg}, nil
}

// Pool returns the underlying pool, for adapters in this package's
// neighbourhood (the upload ledger) that need pgx directly. Queries on
// tenant data must still go through InTenant.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping checks that PostgreSQL answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// Close closes the pool; it waits for acquired connections to be released.
// It is idempotent.
func (db *DB) Close() { db.pool.Close() }

// connConfig returns a copy of the pool's connection config, for the
// dedicated LISTEN connection.
func (db *DB) connConfig() *pgx.ConnConfig { return db.pool.Config().ConnConfig.Copy() }
