package origin

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// IngestOptions are the caller's choices for one ingestion.
type IngestOptions struct {
	// Tags replace the image's tags; nil keeps the current ones (none on
	// create).
	Tags []string
	// Metadata replaces the metadata JSON object; nil keeps the current.
	Metadata []byte
	// Visibility of the image; "" keeps the current one (public on create).
	Visibility Visibility
	// Cond is checked against the current version under the image's lock.
	Cond Precondition
}

// Ingest makes body the new current version of tenant's publicID. Both the
// PUT/POST handlers and a completed tus upload call it. It streams body to
// a spool file while hashing it and capping its size (ErrTooLarge), sniffs
// the type from the bytes (ErrUnsupportedType), reads the dimensions from
// the header (ErrUndecodable, ErrTooManyPixels), stores the bytes once per
// tenant under their content address, and writes the version, the image
// row and an "updated" outbox event in one transaction. On any failure no
// row is written and no object it stored remains. Errors wrap the
// sentinels of this package (ErrNotFound for an unknown tenant,
// ErrPreconditionFailed, ErrInvalid). Safe for concurrent use; blocks until
// the transaction commits. body is read to the end or to the cap, not
// closed.
func (s *Service) Ingest(ctx context.Context, tenant, publicID string, body io.Reader, opts IngestOptions) (Image, error) {
	img, err := s.ingest(ctx, tenant, publicID, body, opts)
	s.metrics.upload(err)
	return img, err
}

func (s *Service) ingest(ctx context.Context, tenant, publicID string, body io.Reader, opts IngestOptions) (Image, error) {
	if err := validateIngest(s.cfg, tenant, publicID, opts); err != nil {
		return Image{}, err
	}
	sp, err := newSpool(s.cfg.SpoolDir, body, s.cfg.MaxUploadBytes, sniffImage)
	if err != nil {
		return Image{}, err
	}
	defer sp.Close()
	info, err := probeImage(sp.Bytes())
	if err != nil {
		return Image{}, err
	}
	if int64(info.Width)*int64(info.Height) > s.cfg.MaxPixels {
		return Image{}, fmt.Errorf("%w: %d×%d exceeds %d pixels", ErrTooManyPixels, info.Width, info.Height, s.cfg.MaxPixels)
	}
	v := Version{
		Tenant: tenant, PublicID: publicID, SHA256: sp.sha, Bytes: sp.size,
		Format: info.Format, Width: info.Width, Height: info.Height,
		Tags: opts.Tags, Metadata: opts.Metadata, Visibility: opts.Visibility,
	}
	return s.commit(ctx, v, opts.Cond, sp, info.ContentType)
}

// commit hands v to the catalog, storing the bytes if the catalog asks,
// and discards them again if the commit fails.
func (s *Service) commit(ctx context.Context, v Version, cond Precondition, sp *spool, contentType string) (Image, error) {
	key := BlobKey(v.Tenant, v.SHA256)
	stored := false
	store := func(ctx context.Context) error {
		stored = true
		return s.blobs.Put(ctx, key, sp.Reader(), sp.size, contentType)
	}
	img, ev, err := s.catalog.CommitVersion(ctx, v, cond, store)
	if err == nil {
		s.committed(ev)
		return img, nil
	}
	if stored {
		del := func(ctx context.Context) error { return s.blobs.Delete(ctx, key) }
		if derr := s.catalog.DiscardBlob(context.WithoutCancel(ctx), v.Tenant, v.SHA256, del); derr != nil {
			err = errors.Join(err, fmt.Errorf("origin: discard blob %s: %w", key, derr))
		}
	}
	return Image{}, err
}
