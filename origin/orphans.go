package origin

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// SweepOrphans deletes stored blobs that no committed row references and
// that are older than minAge: the bytes of an ingestion whose process died
// between storing them and committing (a failed commit discards its own).
// Each candidate goes through Catalog.DiscardBlob, which waits for writers
// of the same bytes, so a blob being committed is never removed. It
// returns how many objects it removed. Blocks for the whole walk.
func (s *Service) SweepOrphans(ctx context.Context, minAge time.Duration) (int, error) {
	cutoff := time.Now().Add(-minAge)
	removed := 0
	err := s.blobs.Walk(ctx, "blobs/", func(key string, modified time.Time) error {
		tenant, sha, ok := parseBlobKey(key)
		if !ok || modified.After(cutoff) {
			return nil
		}
		del := func(ctx context.Context) error {
			removed++
			return s.blobs.Delete(ctx, key)
		}
		return s.catalog.DiscardBlob(ctx, tenant, sha, del)
	})
	return removed, err
}

// parseBlobKey inverts BlobKey.
func parseBlobKey(key string) (tenant, sha string, ok bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 4 || parts[0] != "blobs" || !ValidTenant(parts[1]) || len(parts[3]) != 64 || !strings.HasPrefix(parts[3], parts[2]) {
		return "", "", false
	}
	return parts[1], parts[3], true
}

// OrphanSweeper runs SweepOrphans periodically. Close stops it and waits.
type OrphanSweeper struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// StartOrphanSweeper sweeps every interval, removing orphans older than
// minAge (which must exceed the longest ingestion, e.g. 1h).
func StartOrphanSweeper(s *Service, interval, minAge time.Duration) *OrphanSweeper {
	ctx, cancel := context.WithCancel(context.Background())
	o := &OrphanSweeper{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(o.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			n, err := s.SweepOrphans(ctx, minAge)
			if err != nil && ctx.Err() == nil {
				slog.Warn("origin: orphan sweep", "err", err)
			}
			if n > 0 {
				slog.Info("origin: removed orphan blobs", "count", n)
			}
		}
	}()
	return o
}

// Close stops the sweeper and waits for a running sweep. Idempotent.
func (o *OrphanSweeper) Close() {
	o.once.Do(o.cancel)
	<-o.done
}
