package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixcdn/origin"

	"pixcdn/contract"
)

// Advisory lock classes (first key of the two-int form).
const (
	lockImage     = 1 // serialises writers of one image
	lockBlob      = 2 // shared by committing writers, exclusive for discard
	lockSequencer = 3 // one sequencer at a time (taken in SQL, migration 0002)
)

const imageColumns = `tenant_id, public_id, version, sha256, bytes, format, width, height,
	tags, metadata, visibility, created_at, updated_at`

func scanImage(row pgx.Row) (origin.Image, error) {
	var im origin.Image
	var meta []byte
	err := row.Scan(&im.Tenant, &im.PublicID, &im.Version, &im.SHA256, &im.Bytes, &im.Format,
		&im.Width, &im.Height, &im.Tags, &meta, &im.Visibility, &im.CreatedAt, &im.UpdatedAt)
	im.Metadata = meta
	return im, err
}

// Image implements origin.Catalog.
func (c *Catalog) Image(ctx context.Context, tenant, publicID string) (origin.Image, error) {
	var im origin.Image
	err := readInScope(ctx, c.db.pool, tenant, `SELECT `+imageColumns+` FROM images
		WHERE tenant_id = $1 AND public_id = $2`, []any{tenant, publicID}, func(rows pgx.Rows) (err error) {
		im, err = pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (origin.Image, error) { return scanImage(r) })
		return err
	})
	return im, mapErr("image", err)
}

func currentImage(ctx context.Context, tx pgx.Tx, tenant, publicID string) (origin.Image, error) {
	return scanImage(tx.QueryRow(ctx, `SELECT `+imageColumns+` FROM images
		WHERE tenant_id = $1 AND public_id = $2`, tenant, publicID))
}

// lockedImage takes the image's write lock for the transaction and returns
// its current row, with exists false when there is none.
func lockedImage(ctx context.Context, tx pgx.Tx, tenant, publicID string) (origin.Image, bool, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2 || '/' || $3))`,
		lockImage, tenant, publicID); err != nil {
		return origin.Image{}, false, err
	}
	im, err := currentImage(ctx, tx, tenant, publicID)
	if errors.Is(err, pgx.ErrNoRows) {
		return origin.Image{}, false, nil
	}
	return im, err == nil, err
}

func requireTenant(ctx context.Context, tx pgx.Tx, tenant string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = $1`, tenant).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("tenant %s: %w", tenant, origin.ErrNotFound)
	}
	return err
}

// insertEvent appends ev to the outbox (unsequenced) and asks the
// sequencer, via NOTIFY at commit, to number it.
func insertEvent(ctx context.Context, tx pgx.Tx, ev contract.Event) (contract.Event, error) {
	if ev.Tags == nil {
		ev.Tags = []string{}
	}
	err := tx.QueryRow(ctx, `INSERT INTO events (tenant_id, public_id, version, kind, tags, prefix)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, at`,
		ev.Tenant, ev.PublicID, ev.Version, string(ev.Kind), ev.Tags, ev.Prefix).Scan(&ev.ID, &ev.At)
	if err != nil {
		return ev, err
	}
	_, err = tx.Exec(ctx, `SELECT pg_notify('`+channelOutbox+`', '')`)
	return ev, err
}

// DeleteImage implements origin.Catalog. Versions stay in image_versions,
// so a re-created image continues the version sequence.
func (c *Catalog) DeleteImage(ctx context.Context, tenant, publicID string, cond origin.Precondition) (contract.Event, error) {
	var ev contract.Event
	err := c.db.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		cur, exists, err := lockedImage(ctx, tx, tenant, publicID)
		if err != nil {
			return err
		}
		if !exists {
			return pgx.ErrNoRows
		}
		if err := cond.Check(true, cur); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM images WHERE tenant_id = $1 AND public_id = $2`, tenant, publicID); err != nil {
			return err
		}
		ev, err = insertEvent(ctx, tx, contract.Event{Tenant: tenant, PublicID: publicID, Version: cur.Version, Kind: contract.KindDeleted})
		return err
	})
	return ev, mapErr("delete image", err)
}

// Purge implements origin.Catalog: it records a purge-tag or purge-prefix
// event for the tenant.
func (c *Catalog) Purge(ctx context.Context, tenant string, ev contract.Event) (contract.Event, error) {
	ev.Tenant = tenant
	err := c.db.InTenant(ctx, tenant, func(tx pgx.Tx) (err error) {
		if err := requireTenant(ctx, tx, tenant); err != nil {
			return err
		}
		ev, err = insertEvent(ctx, tx, ev)
		return err
	})
	return ev, mapErr("purge", err)
}
