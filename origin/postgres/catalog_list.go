package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"pixcdn/origin"

	"pixcdn/contract"
)

// ListImages implements origin.Catalog: keyset pagination in public_id
// (byte) order, filtered by tag and prefix, within the tenant's rows only.
func (c *Catalog) ListImages(ctx context.Context, tenant string, q origin.ListQuery) ([]origin.Image, error) {
	var out []origin.Image
	err := c.db.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+imageColumns+` FROM images
			WHERE tenant_id = $1 AND public_id > $2 AND public_id >= $3 AND starts_with(public_id, $3)
			  AND ($4 = '' OR tags @> ARRAY[$4::text])
			ORDER BY public_id LIMIT $5`, tenant, q.After, q.Prefix, q.Tag, q.Limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (origin.Image, error) { return scanImage(r) })
		return err
	})
	return out, mapErr("list images", err)
}

// PatchImage implements origin.Catalog. A visibility change writes a
// visibility event in the same transaction.
func (c *Catalog) PatchImage(ctx context.Context, tenant, publicID string, p origin.Patch) (origin.Image, contract.Event, error) {
	var im origin.Image
	var ev contract.Event
	err := c.db.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		cur, exists, err := lockedImage(ctx, tx, tenant, publicID)
		if err != nil || !exists {
			return orNoRows(err)
		}
		tags, meta, vis := cur.Tags, []byte(cur.Metadata), cur.Visibility
		if p.Tags != nil {
			tags = *p.Tags
		}
		if p.Metadata != nil {
			meta = p.Metadata
		}
		if p.Visibility != nil {
			vis = *p.Visibility
		}
		im, err = scanImage(tx.QueryRow(ctx, `UPDATE images SET tags = $3, metadata = $4, visibility = $5,
			updated_at = now() WHERE tenant_id = $1 AND public_id = $2 RETURNING `+imageColumns,
			tenant, publicID, tags, meta, string(vis)))
		if err != nil || vis == cur.Visibility {
			return err
		}
		ev, err = insertEvent(ctx, tx, contract.Event{Tenant: tenant, PublicID: publicID, Version: cur.Version, Kind: contract.KindVisibility})
		return err
	})
	return im, ev, mapErr("patch image", err)
}

func orNoRows(err error) error {
	if err == nil {
		return pgx.ErrNoRows
	}
	return err
}
