// Package uploads serves tus 1.0 resumable uploads at /v1/{tenant}/uploads/
// for the origin: the core protocol, creation, creation-with-upload,
// termination, checksum (sha1, sha256, sha512, md5; a mismatch is 460) and
// expiration. It runs tusd's protocol handler over pixcdn's own store:
// bytes go to a MinIO multipart upload in parts of Config.PartSize (the
// last part may be smaller), a PATCH smaller than a part is buffered in
// PostgreSQL, and the part ledger lives in PostgreSQL rather than in S3's
// part listing. A PostgreSQL lease serialises requests on one upload across
// origin processes, so any process can continue an upload and an upload
// survives a restart between two chunks. A completed upload is handed to
// the origin's ingestion, exactly like a PUT. A Sweeper aborts uploads that
// expired (always sooner than MinIO's own 24-hour multipart cleanup).
//
// It must not know the origin's HTTP routing or how keys are stored: it is
// given an Authorizer and an Ingester. It declares what it needs of its
// stores, Ledger, Staging and Locks with their types (ledger.go);
// origin/postgres and origin/minio implement them, and uploads imports
// neither.
package uploads
