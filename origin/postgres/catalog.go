package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"pixcdn/origin"
)

// Catalog is origin.Catalog over PostgreSQL. Every tenant-scoped method
// runs in InTenant, so row-level security, not a WHERE clause, keeps
// tenants apart. Safe for concurrent use.
type Catalog struct {
	db *DB
}

var _ origin.Catalog = (*Catalog)(nil)

// NewCatalog returns the catalog over a migrated database.
func NewCatalog(db *DB) *Catalog { return &Catalog{db: db} }

// Ping implements origin.Catalog.
func (c *Catalog) Ping(ctx context.Context) error {
	if err := c.db.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: %w: %w", origin.ErrCatalogUnavailable, err)
	}
	return nil
}

// CreateTenant implements origin.Catalog (ErrExists when taken).
func (c *Catalog) CreateTenant(ctx context.Context, t origin.Tenant) error {
	err := c.db.InSystem(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tenants (id, cache_control) VALUES ($1, $2)`, t.ID, t.CacheControl)
		return err
	})
	return mapErr("create tenant", err)
}

// Tenant implements origin.Catalog (ErrNotFound when unknown).
func (c *Catalog) Tenant(ctx context.Context, id string) (origin.Tenant, error) {
	var t origin.Tenant
	err := readInScope(ctx, c.db.pool, id, `SELECT id, cache_control, created_at FROM tenants WHERE id = $1`,
		[]any{id}, func(rows pgx.Rows) (err error) {
			t, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[origin.Tenant])
			return err
		})
	return t, mapErr("tenant "+id, err)
}

// CreateKey implements origin.Catalog: a tenant key is written in the
// tenant's scope (ErrNotFound for an unknown tenant), a system key in the
// system scope.
func (c *Catalog) CreateKey(ctx context.Context, k origin.KeyRecord) error {
	insert := func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (hash, tenant_id, role) VALUES ($1, NULLIF($2, ''), $3)`,
			k.Hash, k.Tenant, string(k.Role))
		return err
	}
	if k.Tenant == "" {
		return mapErr("create key", c.db.InSystem(ctx, insert))
	}
	return mapErr("create key", c.db.InTenant(ctx, k.Tenant, insert))
}

// LookupKey implements origin.Catalog (ErrUnauthorized when unknown).
func (c *Catalog) LookupKey(ctx context.Context, hash []byte) (origin.KeyRecord, error) {
	k := origin.KeyRecord{Hash: hash}
	err := readInScope(ctx, c.db.pool, SystemScope, `SELECT coalesce(tenant_id, ''), role FROM api_keys WHERE hash = $1`,
		[]any{hash}, func(rows pgx.Rows) error {
			if !rows.Next() {
				return pgx.ErrNoRows
			}
			return rows.Scan(&k.Tenant, &k.Role)
		})
	if errors.Is(err, pgx.ErrNoRows) {
		return k, origin.ErrUnauthorized
	}
	return k, mapErr("lookup key", err)
}

// mapErr wraps err with op and the origin sentinel it means.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, origin.ErrNotFound)
	}
	if errors.Is(err, ErrBadScope) {
		return fmt.Errorf("postgres: %s: %w: %w", op, origin.ErrInvalid, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("postgres: %s: %w", op, origin.ErrExists)
		case "23503": // foreign_key_violation: the tenant does not exist
			return fmt.Errorf("postgres: %s: %w", op, origin.ErrNotFound)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}
