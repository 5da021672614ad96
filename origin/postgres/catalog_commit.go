package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"pixcdn/origin"

	"pixcdn/contract"
)

// CommitVersion implements origin.Catalog. The transaction takes the
// image's lock, checks cond, takes the blob's shared lock and calls store
// only when no blobs row exists yet. Until its first write (after store
// returns) the transaction has no transaction id, so a slow store does not
// hold back the outbox sequencer's watermark.
func (c *Catalog) CommitVersion(ctx context.Context, v origin.Version, cond origin.Precondition, store func(context.Context) error) (origin.Image, contract.Event, error) {
	var im origin.Image
	var ev contract.Event
	err := c.db.InTenant(ctx, v.Tenant, func(tx pgx.Tx) error {
		if err := requireTenant(ctx, tx, v.Tenant); err != nil {
			return err
		}
		cur, exists, err := lockedImage(ctx, tx, v.Tenant, v.PublicID)
		if err != nil {
			return err
		}
		if err := cond.Check(exists, cur); err != nil {
			return err
		}
		if err := ensureBlob(ctx, tx, v, store); err != nil {
			return err
		}
		if im, err = writeVersion(ctx, tx, v, cur, exists); err != nil {
			return err
		}
		ev, err = insertEvent(ctx, tx, contract.Event{Tenant: v.Tenant, PublicID: v.PublicID, Version: im.Version, Kind: contract.KindUpdated})
		return err
	})
	return im, ev, mapErr("commit version", err)
}

// ensureBlob makes sure the blob is stored and recorded, calling store
// under the blob's shared lock when it is new.
func ensureBlob(ctx context.Context, tx pgx.Tx, v origin.Version, store func(context.Context) error) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1, hashtext($2 || '/' || $3))`,
		lockBlob, v.Tenant, v.SHA256); err != nil {
		return err
	}
	var known bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM blobs WHERE tenant_id = $1 AND sha256 = $2)`,
		v.Tenant, v.SHA256).Scan(&known)
	if err != nil || known {
		return err
	}
	if err := store(ctx); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO blobs (tenant_id, sha256, bytes) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, v.Tenant, v.SHA256, v.Bytes)
	return err
}

// writeVersion appends the version and upserts the image row; tags,
// metadata and visibility not given are kept from cur (or defaulted).
func writeVersion(ctx context.Context, tx pgx.Tx, v origin.Version, cur origin.Image, exists bool) (origin.Image, error) {
	var next int64
	err := tx.QueryRow(ctx, `INSERT INTO image_versions
		(tenant_id, public_id, version, sha256, bytes, format, width, height)
		SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5, $6, $7
		FROM image_versions WHERE tenant_id = $1 AND public_id = $2
		RETURNING version`,
		v.Tenant, v.PublicID, v.SHA256, v.Bytes, v.Format, v.Width, v.Height).Scan(&next)
	if err != nil {
		return origin.Image{}, err
	}
	tags, meta, vis := inherit(v, cur, exists)
	return scanImage(tx.QueryRow(ctx, `INSERT INTO images
		(tenant_id, public_id, version, sha256, bytes, format, width, height, tags, metadata, visibility)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (tenant_id, public_id) DO UPDATE SET
			version = EXCLUDED.version, sha256 = EXCLUDED.sha256, bytes = EXCLUDED.bytes,
			format = EXCLUDED.format, width = EXCLUDED.width, height = EXCLUDED.height,
			tags = EXCLUDED.tags, metadata = EXCLUDED.metadata, visibility = EXCLUDED.visibility,
			updated_at = now()
		RETURNING `+imageColumns,
		v.Tenant, v.PublicID, next, v.SHA256, v.Bytes, v.Format, v.Width, v.Height, tags, meta, string(vis)))
}

// inherit fills the fields v leaves unset from cur (when the image
// exists), then from the defaults.
func inherit(v origin.Version, cur origin.Image, exists bool) ([]string, []byte, origin.Visibility) {
	tags, meta, vis := v.Tags, v.Metadata, v.Visibility
	if exists {
		if tags == nil {
			tags = cur.Tags
		}
		if meta == nil {
			meta = cur.Metadata
		}
		if vis == "" {
			vis = cur.Visibility
		}
	}
	if tags == nil {
		tags = []string{}
	}
	if meta == nil {
		meta = []byte("{}")
	}
	if vis == "" {
		vis = origin.Public
	}
	return tags, meta, vis
}

// DiscardBlob implements origin.Catalog: under the blob's exclusive lock
// (which waits for every committing writer holding it shared), it calls
// del only when no blobs row records the object.
func (c *Catalog) DiscardBlob(ctx context.Context, tenant, sha string, del func(context.Context) error) error {
	err := c.db.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2 || '/' || $3))`,
			lockBlob, tenant, sha); err != nil {
			return err
		}
		var known bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM blobs WHERE tenant_id = $1 AND sha256 = $2)`,
			tenant, sha).Scan(&known)
		if err != nil || known {
			return err
		}
		return del(ctx)
	})
	return mapErr("discard blob", err)
}
