package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"
)

// AppRole is the non-owner role every transaction of the service runs as
// (created by migration 0001). Row-level security applies to it.
const AppRole = "pixcdn_app"

// Config says how to reach PostgreSQL.
type Config struct {
	// DSN is a libpq connection string or URL. Its user owns the schema
	// (runs the migrations) and must be a member of AppRole, which
	// migration 0001 arranges. Required; no default.
	DSN string
	// MaxConns caps the pool (connections; default 16). One ingestion
	// holds a connection while its bytes stream to MinIO.
	MaxConns int32
	// StatementTimeout bounds each statement (default 30s; 0 disables).
	StatementTimeout time.Duration
	// LockTimeout bounds the wait for the migration lock (default 2m).
	LockTimeout time.Duration
	// TracerProvider records a span per query made under a traced
	// context (nil: none; default nil).
	TracerProvider trace.TracerProvider
}

// DefaultConfig returns a Config with every default filled in and no DSN.
func DefaultConfig() Config {
	return Config{MaxConns: 16, StatementTimeout: 30 * time.Second, LockTimeout: 2 * time.Minute}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.DSN == "" {
		return errors.New("postgres: DSN is required")
	}
	if _, err := pgxpool.ParseConfig(c.DSN); err != nil {
		return fmt.Errorf("postgres: bad DSN: %w", err)
	}
	if c.MaxConns < 1 {
		return fmt.Errorf("postgres: MaxConns %d < 1", c.MaxConns)
	}
	if c.StatementTimeout < 0 || c.LockTimeout <= 0 {
		return errors.New("postgres: timeouts must be positive")
	}
	return nil
}
