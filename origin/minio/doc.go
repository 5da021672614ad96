// Package minio adapts MinIO (S3) to origin.Blobs (content-addressed,
// immutable objects) and to uploads.Staging (multipart uploads). It knows nothing of PostgreSQL.
package minio
