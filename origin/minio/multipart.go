package minio

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	mc "github.com/minio/minio-go/v7"

	"pixcdn/origin/uploads"
)

// Multipart stages resumable uploads as S3 multipart uploads in one bucket.
// It keeps no state of its own: the caller records upload IDs and part ETags
// (pixcdn keeps them in PostgreSQL), so any process can continue an upload
// another one began. Safe for concurrent use.
type Multipart struct {
	core   *mc.Core
	bucket string
}

// NewMultipart returns a Multipart over client's connection to bucket. The
// bucket must exist.
func NewMultipart(client *mc.Client, bucket string) *Multipart {
	return &Multipart{core: &mc.Core{Client: client}, bucket: bucket}
}

// Begin starts a multipart upload that will become object key and returns
// its upload ID. The upload is invisible until Complete.
func (m *Multipart) Begin(ctx context.Context, key string) (string, error) {
	id, err := m.core.NewMultipartUpload(ctx, m.bucket, key, mc.PutObjectOptions{
		ContentType: "application/octet-stream",
	})
	if err != nil {
		return "", fmt.Errorf("minio: begin multipart %s: %w", key, outage(m.core.Client, err))
	}
	return id, nil
}

// PutPart uploads data as part number (1..10000) of the upload and returns
// the part's ETag. Every part but the last must be at least uploads.MinPartSize.
// Uploading the same number again replaces the part. data is only read.
func (m *Multipart) PutPart(ctx context.Context, key, uploadID string, number int, data []byte) (string, error) {
	sum := md5.Sum(data)
	part, err := m.core.PutObjectPart(ctx, m.bucket, key, uploadID, number,
		bytes.NewReader(data), int64(len(data)), mc.PutObjectPartOptions{
			Md5Base64:            base64.StdEncoding.EncodeToString(sum[:]),
			DisableContentSha256: true,
		})
	if err != nil {
		return "", fmt.Errorf("minio: put part %d of %s: %w", number, key, outage(m.core.Client, wrapNoSuchUpload(err)))
	}
	return part.ETag, nil
}

// Complete assembles the parts, in the given order, into object key.
func (m *Multipart) Complete(ctx context.Context, key, uploadID string, parts []uploads.Part) error {
	complete := make([]mc.CompletePart, len(parts))
	for i, p := range parts {
		complete[i] = mc.CompletePart{PartNumber: p.Number, ETag: p.ETag}
	}
	if _, err := m.core.CompleteMultipartUpload(ctx, m.bucket, key, uploadID, complete, mc.PutObjectOptions{}); err != nil {
		return fmt.Errorf("minio: complete multipart %s: %w", key, outage(m.core.Client, wrapNoSuchUpload(err)))
	}
	return nil
}

// Abort discards the upload and its parts. Aborting an upload that no longer
// exists is not an error, so Abort may be retried.
func (m *Multipart) Abort(ctx context.Context, key, uploadID string) error {
	err := m.core.AbortMultipartUpload(ctx, m.bucket, key, uploadID)
	if err != nil && !errors.Is(wrapNoSuchUpload(err), uploads.ErrNoSuchMultipart) {
		return fmt.Errorf("minio: abort multipart %s: %w", key, outage(m.core.Client, err))
	}
	return nil
}

// Open streams a completed object. The caller closes the reader. Errors
// of Open and Read that mean MinIO is out wrap origin.ErrBlobsUnavailable.
func (m *Multipart) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	obj, err := m.core.Client.GetObject(ctx, m.bucket, key, mc.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("minio: open %s: %w", key, outage(m.core.Client, err))
	}
	return outageReader{ReadCloser: obj, client: m.core.Client}, nil
}

// Remove deletes a completed object; removing a missing object succeeds.
func (m *Multipart) Remove(ctx context.Context, key string) error {
	if err := m.core.Client.RemoveObject(ctx, m.bucket, key, mc.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("minio: remove %s: %w", key, outage(m.core.Client, err))
	}
	return nil
}

func wrapNoSuchUpload(err error) error {
	if mc.ToErrorResponse(err).Code == mc.NoSuchUpload {
		return fmt.Errorf("%w: %w", uploads.ErrNoSuchMultipart, err)
	}
	return err
}
