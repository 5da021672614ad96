package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixcdn/origin/uploads"
)

// ExpiredUploads returns up to limit uploads of any tenant whose expiry has
// passed, oldest first, for the sweeper. It reads in the system scope, where
// the uploads policy shows expired rows only, and only to SELECT; removing
// one goes through DeleteUpload in its tenant's scope. PartCount is not
// filled in.
func (l *UploadLedger) ExpiredUploads(ctx context.Context, limit int) ([]uploads.Upload, error) {
	var out []uploads.Upload
	err := inScope(ctx, l.pool, SystemScope, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT tenant, id, public_id, size, "offset", metadata,
			object_key, multipart_id, state, created_at, expires_at, tail_len, 0
			FROM uploads u WHERE expires_at < now() ORDER BY expires_at LIMIT $1`, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (uploads.Upload, error) {
			return scanUpload(r)
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: expired uploads: %w", err)
	}
	return out, nil
}
