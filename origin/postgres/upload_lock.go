package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// UploadLocks are leases on uploads in a table, so that origin processes
// sharing one database take turns on an upload. A lease lapses unless its
// holder renews it, so a crashed process never blocks an upload for longer
// than one lease. A waiter may flag a lease to ask its holder to let go,
// which the holder sees on its next renewal. Times are the database's clock.
// Safe for concurrent use.
type UploadLocks struct {
	pool *pgxpool.Pool
}

// NewUploadLocks returns the lease table in db, which must be migrated.
func NewUploadLocks(db *DB) *UploadLocks {
	return &UploadLocks{pool: db.pool}
}

// TryAcquire takes the lease on the tenant's upload for holder, for ttl,
// when it is free or lapsed. It reports whether holder now has it.
func (l *UploadLocks) TryAcquire(ctx context.Context, tenant, id, holder string, ttl time.Duration) (bool, error) {
	acquired := false
	err := inTenantTx(ctx, l.pool, tenant, func(tx pgx.Tx) error {
		var got string
		err := tx.QueryRow(ctx, `INSERT INTO upload_locks (tenant, upload_id, holder, expires_at)
			VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
			ON CONFLICT (tenant, upload_id) DO UPDATE
			SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at, release_requested = false
			WHERE upload_locks.expires_at < now()
			RETURNING holder`, tenant, id, holder, ttl.Milliseconds()).Scan(&got)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		acquired = err == nil && got == holder
		return err
	})
	if err != nil {
		return false, fmt.Errorf("postgres: acquire upload lock: %w", err)
	}
	return acquired, nil
}

// RequestRelease flags the current lease on the upload, if any, so that its
// holder lets go at its next renewal.
func (l *UploadLocks) RequestRelease(ctx context.Context, tenant, id string) error {
	err := inTenantTx(ctx, l.pool, tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE upload_locks SET release_requested = true
			WHERE tenant = $1 AND upload_id = $2 AND NOT release_requested`, tenant, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: request upload lock release: %w", err)
	}
	return nil
}

// Renew extends holder's lease by ttl from now. held is false when the
// lease lapsed and someone else took it; releaseRequested is true when a
// waiter asked holder to let go.
func (l *UploadLocks) Renew(ctx context.Context, tenant, id, holder string, ttl time.Duration) (held, releaseRequested bool, err error) {
	err = inTenantTx(ctx, l.pool, tenant, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE upload_locks
			SET expires_at = now() + $4 * interval '1 millisecond'
			WHERE tenant = $1 AND upload_id = $2 AND holder = $3
			RETURNING release_requested`, tenant, id, holder, ttl.Milliseconds()).Scan(&releaseRequested)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		held = err == nil
		return err
	})
	if err != nil {
		return false, false, fmt.Errorf("postgres: renew upload lock: %w", err)
	}
	return held, releaseRequested, nil
}

// Release gives up holder's lease; releasing a lease holder no longer has
// is a no-op.
func (l *UploadLocks) Release(ctx context.Context, tenant, id, holder string) error {
	err := inTenantTx(ctx, l.pool, tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM upload_locks
			WHERE tenant = $1 AND upload_id = $2 AND holder = $3`, tenant, id, holder)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: release upload lock: %w", err)
	}
	return nil
}
