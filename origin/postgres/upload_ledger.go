package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"pixcdn/origin/uploads"
)

// UploadLedger records resumable uploads, their parts and their buffered
// tails in PostgreSQL, so any origin process can continue an upload and an
// upload survives a restart between two chunks. Every method runs in a
// transaction scoped to one tenant by row-level security, except
// ExpiredUploads. Safe for concurrent use.
type UploadLedger struct {
	pool *pgxpool.Pool
}

// NewUploadLedger returns the ledger in db, which must be migrated.
func NewUploadLedger(db *DB) *UploadLedger {
	return &UploadLedger{pool: db.pool}
}

// CreateUpload records a new upload at offset 0 with an empty tail.
func (l *UploadLedger) CreateUpload(ctx context.Context, u uploads.Upload) error {
	return inTenantTx(ctx, l.pool, u.Tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO uploads
			(tenant, id, public_id, size, metadata, object_key, multipart_id, state, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			u.Tenant, u.ID, u.PublicID, u.Size, u.Metadata, u.ObjectKey, u.MultipartID,
			string(uploads.Receiving), u.ExpiresAt)
		if err != nil {
			return fmt.Errorf("postgres: create upload: %w", err)
		}
		return nil
	})
}

const uploadColumns = `tenant, id, public_id, size, "offset", metadata, object_key,
	multipart_id, state, created_at, expires_at, tail_len,
	(SELECT count(*) FROM upload_parts p WHERE p.tenant = u.tenant AND p.upload_id = u.id)`

func scanUpload(row pgx.Row) (uploads.Upload, error) {
	var u uploads.Upload
	var state string
	var parts int64
	err := row.Scan(&u.Tenant, &u.ID, &u.PublicID, &u.Size, &u.Offset, &u.Metadata, &u.ObjectKey,
		&u.MultipartID, &state, &u.CreatedAt, &u.ExpiresAt, &u.TailLen, &parts)
	if errors.Is(err, pgx.ErrNoRows) {
		return uploads.Upload{}, uploads.ErrNotFound
	}
	if err != nil {
		return uploads.Upload{}, fmt.Errorf("postgres: read upload: %w", err)
	}
	u.State, u.PartCount = uploads.State(state), int(parts)
	return u, nil
}

// Upload returns the tenant's upload id, or uploads.ErrNotFound. An expired
// upload the sweeper has not removed yet is still returned; callers compare
// ExpiresAt.
func (l *UploadLedger) Upload(ctx context.Context, tenant, id string) (uploads.Upload, error) {
	var u uploads.Upload
	err := inTenantTx(ctx, l.pool, tenant, func(tx pgx.Tx) error {
		var err error
		u, err = scanUpload(tx.QueryRow(ctx,
			`SELECT `+uploadColumns+` FROM uploads u WHERE tenant = $1 AND id = $2`, tenant, id))
		return err
	})
	return u, err
}

// Tail appends the upload's buffered bytes (those not in a part yet) to
// dst and returns it; the caller owns the result.
func (l *UploadLedger) Tail(ctx context.Context, tenant, id string, dst []byte) ([]byte, error) {
	err := inTenantTx(ctx, l.pool, tenant, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT data FROM upload_tail
			WHERE tenant = $1 AND upload_id = $2 ORDER BY seq`, tenant, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			dst = append(dst, rows.RawValues()[0]...)
		}
		return rows.Err()
	})
	if err != nil {
		return dst, fmt.Errorf("postgres: upload tail: %w", err)
	}
	return dst, nil
}

// Parts returns the upload's recorded parts in ascending order.
func (l *UploadLedger) Parts(ctx context.Context, tenant, id string) ([]uploads.Part, error) {
	var parts []uploads.Part
	err := inTenantTx(ctx, l.pool, tenant, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT number, size, etag FROM upload_parts
			WHERE tenant = $1 AND upload_id = $2 ORDER BY number`, tenant, id)
		if err != nil {
			return err
		}
		parts, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (uploads.Part, error) {
			var p uploads.Part
			return p, r.Scan(&p.Number, &p.Size, &p.ETag)
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: upload parts: %w", err)
	}
	return parts, nil
}

// CommitChunk records a chunk atomically: new parts, the tail's change, new
// offset and state. It fails with uploads.ErrConflict, recording nothing, when
// the offset is no longer c.FromOffset.
func (l *UploadLedger) CommitChunk(ctx context.Context, tenant, id string, c uploads.Chunk) error {
	return inTenantTx(ctx, l.pool, tenant, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE uploads SET "offset" = $3, tail_len = $4, state = $5,
			updated_at = now() WHERE tenant = $1 AND id = $2 AND "offset" = $6 AND state = 'receiving'`,
			tenant, id, c.ToOffset, c.TailLen, string(c.State), c.FromOffset)
		if err != nil {
			return fmt.Errorf("postgres: commit chunk: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return uploads.ErrConflict
		}
		if err := changeTail(ctx, tx, tenant, id, c); err != nil {
			return err
		}
		for _, p := range c.Parts {
			if _, err := tx.Exec(ctx, `INSERT INTO upload_parts (tenant, upload_id, number, size, etag)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, upload_id, number)
				DO UPDATE SET size = EXCLUDED.size, etag = EXCLUDED.etag`,
				tenant, id, p.Number, p.Size, p.ETag); err != nil {
				return fmt.Errorf("postgres: record part %d: %w", p.Number, err)
			}
		}
		return nil
	})
}

func changeTail(ctx context.Context, tx pgx.Tx, tenant, id string, c uploads.Chunk) error {
	if c.TailConsumed {
		if _, err := tx.Exec(ctx, `DELETE FROM upload_tail WHERE tenant = $1 AND upload_id = $2`,
			tenant, id); err != nil {
			return fmt.Errorf("postgres: drop tail: %w", err)
		}
	}
	if len(c.TailAppend) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO upload_tail (tenant, upload_id, seq, data)
		SELECT $1, $2, coalesce(max(seq), 0) + 1, $3 FROM upload_tail
		WHERE tenant = $1 AND upload_id = $2`, tenant, id, c.TailAppend)
	if err != nil {
		return fmt.Errorf("postgres: append tail: %w", err)
	}
	return nil
}

// SetUploadState moves an upload from one state to another, failing with
// uploads.ErrConflict when it is not in state from.
func (l *UploadLedger) SetUploadState(ctx context.Context, tenant, id string, from, to uploads.State) error {
	return inTenantTx(ctx, l.pool, tenant, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE uploads SET state = $4, updated_at = now()
			WHERE tenant = $1 AND id = $2 AND state = $3`, tenant, id, string(from), string(to))
		if err != nil {
			return fmt.Errorf("postgres: set upload state: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return uploads.ErrConflict
		}
		return nil
	})
}

// DeleteUpload removes the upload and its parts from the ledger; deleting a
// missing upload returns uploads.ErrNotFound.
func (l *UploadLedger) DeleteUpload(ctx context.Context, tenant, id string) error {
	return inTenantTx(ctx, l.pool, tenant, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM uploads WHERE tenant = $1 AND id = $2`, tenant, id)
		if err != nil {
			return fmt.Errorf("postgres: delete upload: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return uploads.ErrNotFound
		}
		return nil
	})
}
