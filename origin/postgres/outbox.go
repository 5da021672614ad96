package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"pixcdn/contract"
)

// NOTIFY channels: writers notify channelOutbox at commit; the sequencer
// notifies channelEvents when it has numbered events.
const (
	channelOutbox = "pixcdn_outbox"
	channelEvents = "pixcdn_events"
)

// Events implements origin.Catalog: sequenced events only, from every
// tenant (system scope).
func (c *Catalog) Events(ctx context.Context, after int64, limit int) ([]contract.Event, error) {
	var out []contract.Event
	err := readInScope(ctx, c.db.pool, SystemScope, `SELECT seq, id, tenant_id, public_id, version, kind, tags, prefix, at
		FROM events WHERE seq > $1 ORDER BY seq LIMIT $2`, []any{after, limit}, func(rows pgx.Rows) (err error) {
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (contract.Event, error) {
			var ev contract.Event
			err := r.Scan(&ev.Seq, &ev.ID, &ev.Tenant, &ev.PublicID, &ev.Version, &ev.Kind, &ev.Tags, &ev.Prefix, &ev.At)
			return ev, err
		})
		return err
	})
	return out, mapErr("events", err)
}

// LastSeq implements origin.Catalog.
func (c *Catalog) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := c.db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM events`).Scan(&seq)
	})
	return seq, mapErr("last seq", err)
}

// Sequence numbers the outbox rows whose transactions are older than every
// running transaction (xid < xmin of the current snapshot): those are
// committed (or aborted, and invisible), so nothing older can still
// appear. Rows are numbered in insertion (id) order, after the highest
// seq so far, under an exclusive advisory lock, and the whole batch
// commits at once; readers therefore only ever see a gap-free prefix, and a
// row whose transaction commits late gets a later seq instead of being
// skipped. It notifies channelEvents when it numbered anything. The
// statements live in the SQL function pixcdn_sequence_events. It returns
// how many rows it numbered and how many committed rows still wait for an
// older transaction to end. Safe to run from many processes at once.
func (c *Catalog) Sequence(ctx context.Context) (numbered, waiting int64, err error) {
	// pixcdn_sequence_events (migration 0002) takes the advisory lock, numbers
	// the ready rows, notifies and counts the waiting ones, in one round trip.
	err = readInScope(ctx, c.db.pool, SystemScope, `SELECT numbered, waiting FROM pixcdn_sequence_events()`, nil,
		func(rows pgx.Rows) error {
			if !rows.Next() {
				return pgx.ErrNoRows
			}
			return rows.Scan(&numbered, &waiting)
		})
	return numbered, waiting, mapErr("sequence events", err)
}
