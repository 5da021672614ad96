package uploads

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"
)

// finishTimeout bounds assembling and ingesting a completed upload.
const finishTimeout = 2 * time.Minute

// upload is one request's view of a ledger row; it lives as long as the
// request, under the upload's lease.
type upload struct {
	store *store
	row   Upload
}

// GetInfo reports the ledger's view; a completed upload has offset = size.
func (u *upload) GetInfo(context.Context) (handler.FileInfo, error) {
	return handler.FileInfo{
		ID:       u.row.ID,
		Size:     u.row.Size,
		Offset:   u.row.Offset,
		MetaData: u.row.Metadata,
		Storage:  map[string]string{"Type": "pixcdn-minio", "Key": u.row.ObjectKey},
	}, nil
}

// GetReader is not offered: images are read through the originals API.
func (u *upload) GetReader(context.Context) (io.ReadCloser, error) {
	return nil, handler.ErrNotImplemented
}

// FinishUpload assembles the parts into the staging object, hands it to the
// ingester, then forgets the bytes. A refused upload (status < 500) is
// discarded; after any other failure the upload stays assembled and the
// next request on it (GetUpload) tries again.
func (u *upload) FinishUpload(ctx context.Context) (err error) {
	defer func() { err = tusError(err) }()
	ctx, cancel := detached(ctx, finishTimeout)
	defer cancel()
	if u.row.State == Completed {
		return nil
	}
	if err := u.assemble(ctx); err != nil {
		return err
	}
	in, err := u.ingest(ctx)
	if err != nil {
		return u.refuse(ctx, err)
	}
	if x := exchangeFrom(ctx); x != nil {
		x.setIngested(in)
	}
	if err := u.store.deps.Ledger.SetUploadState(ctx, u.row.Tenant, u.row.ID,
		Assembled, Completed); err != nil {
		return err
	}
	u.row.State = Completed
	// The image is in; a staging object left behind here goes with the
	// sweeper, once the upload expires.
	_ = u.store.deps.Staging.Remove(ctx, u.row.ObjectKey)
	return nil
}

// assemble completes the multipart upload from the ledger's parts. A
// multipart upload that is already gone was completed by an earlier try.
func (u *upload) assemble(ctx context.Context) error {
	if u.row.Size == 0 {
		return nil
	}
	parts, err := u.store.deps.Ledger.Parts(ctx, u.row.Tenant, u.row.ID)
	if err != nil {
		return err
	}
	err = u.store.deps.Staging.Complete(ctx, u.row.ObjectKey, u.row.MultipartID, parts)
	if errors.Is(err, ErrNoSuchMultipart) {
		return nil
	}
	return err
}

func (u *upload) ingest(ctx context.Context) (Ingested, error) {
	body := io.Reader(bytes.NewReader(nil))
	if u.row.Size > 0 {
		obj, err := u.store.deps.Staging.Open(ctx, u.row.ObjectKey)
		if err != nil {
			return Ingested{}, err
		}
		defer obj.Close()
		body = obj
	}
	return u.store.deps.Ingester.IngestUpload(ctx, Ingestion{
		Tenant: u.row.Tenant, PublicID: u.row.PublicID, Tags: splitTags(u.row.Metadata["tags"]),
		FileType: u.row.Metadata["filetype"], Size: u.row.Size, Body: body,
	})
}

// refuse reports a failed ingestion; a final refusal also discards the
// upload, whose bytes can never become an image.
func (u *upload) refuse(ctx context.Context, cause error) error {
	status := http.StatusInternalServerError
	if u.store.deps.Status != nil {
		status = u.store.deps.Status(cause)
	}
	if status < 500 {
		_ = u.store.deps.Staging.Remove(ctx, u.row.ObjectKey)
		_ = u.store.deps.Ledger.DeleteUpload(ctx, u.row.Tenant, u.row.ID)
	}
	return ingestError(status, cause)
}

// Terminate discards the upload's bytes and its ledger row. A completed
// upload's image is not affected.
func (u *upload) Terminate(ctx context.Context) (err error) {
	defer func() { err = tusError(err) }()
	ctx, cancel := detached(ctx, time.Minute)
	defer cancel()
	if err := discard(ctx, u.store.deps, u.row); err != nil {
		return err
	}
	err = u.store.deps.Ledger.DeleteUpload(ctx, u.row.Tenant, u.row.ID)
	if errors.Is(err, ErrNotFound) {
		return handler.ErrNotFound
	}
	return err
}

// discard removes an upload's staged bytes, whatever its state.
func discard(ctx context.Context, deps Deps, row Upload) error {
	if row.MultipartID != "" && row.State != Completed {
		if err := deps.Staging.Abort(ctx, row.ObjectKey, row.MultipartID); err != nil {
			return err
		}
	}
	if row.State != Receiving {
		return deps.Staging.Remove(ctx, row.ObjectKey)
	}
	return nil
}

func splitTags(s string) []string {
	var tags []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}
