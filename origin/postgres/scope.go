package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SystemScope is the pixcdn.tenant value of cross-tenant work (tenant
// creation, key lookup, the event feed). It can never be a tenant id.
const SystemScope = "*"

// ErrBadScope is returned for a tenant id that is not a valid scope.
var ErrBadScope = errors.New("postgres: invalid tenant scope")

var tenantPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// InTenant runs fn in one transaction as the non-owner AppRole with
// row-level security scoped to tenant: set_config('pixcdn.tenant', tenant,
// true) and set_config('role', AppRole, true), both local to the
// transaction, so a pooled connection never carries a tenant over. fn's
// queries see and change only that tenant's rows. The transaction commits
// when fn returns nil and rolls back otherwise (fn's error is returned
// as-is, so sentinels survive). fn must not keep tx after returning.
// Safe for concurrent use; blocks for a pooled connection.
func (db *DB) InTenant(ctx context.Context, tenant string, fn func(pgx.Tx) error) error {
	return inTenantTx(ctx, db.pool, tenant, fn)
}

// inTenantTx is InTenant over any pool (the upload ledger holds a bare
// pool). Same contract.
func inTenantTx(ctx context.Context, pool *pgxpool.Pool, tenant string, fn func(pgx.Tx) error) error {
	if !tenantPattern.MatchString(tenant) {
		return fmt.Errorf("%w: %q", ErrBadScope, tenant)
	}
	return inScope(ctx, pool, tenant, fn)
}

// InSystem is InTenant in the system scope: tenants and keys of every
// tenant are visible, as are all events. Use it only for work that is
// cross-tenant by nature.
func (db *DB) InSystem(ctx context.Context, fn func(pgx.Tx) error) error {
	return inScope(ctx, db.pool, SystemScope, fn)
}

// inScope runs fn in a scoped transaction. An outage of PostgreSQL, in fn
// or around it, comes back wrapping origin.ErrCatalogUnavailable.
func inScope(ctx context.Context, pool *pgxpool.Pool, scope string, fn func(pgx.Tx) error) error {
	return classify(pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		const q = `SELECT set_config('pixcdn.tenant', $1, true), set_config('role', $2, true)`
		if _, err := tx.Exec(ctx, q, scope, AppRole); err != nil {
			return fmt.Errorf("postgres: set scope: %w", err)
		}
		return fn(tx)
	}))
}

// readInScope runs one read-only query in a single round trip: the scope
// settings and the query are pipelined in one batch, which PostgreSQL runs
// as one implicit transaction (local settings end at its Sync). read gets
// the query's rows and must consume them before returning. An outage
// comes back wrapping origin.ErrCatalogUnavailable.
func readInScope(ctx context.Context, pool *pgxpool.Pool, scope, sql string, args []any, read func(pgx.Rows) error) error {
	if scope != SystemScope && !tenantPattern.MatchString(scope) {
		return fmt.Errorf("%w: %q", ErrBadScope, scope)
	}
	batch := &pgx.Batch{}
	batch.Queue(`SELECT set_config('pixcdn.tenant', $1, true), set_config('role', $2, true)`, scope, AppRole)
	batch.Queue(sql, args...)
	br := pool.SendBatch(ctx, batch)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return classify(fmt.Errorf("postgres: set scope: %w", err))
	}
	rows, err := br.Query()
	if err == nil {
		err = read(rows)
		rows.Close()
		err = errors.Join(err, rows.Err())
	}
	return classify(errors.Join(err, br.Close()))
}
