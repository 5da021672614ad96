// Package origin is the origin service: the domain of tenants, API keys,
// images and their versions, and the HTTP API through which images are
// uploaded, managed and fetched by edges. It declares the Blobs and Catalog
// interfaces it needs; the adapters over MinIO and PostgreSQL live in
// subpackages, and it knows nothing of their client libraries.
//
// Every way in — PUT, multipart POST and completed tus uploads — goes
// through Service.Ingest: spool while hashing and capping, sniff, probe,
// store the bytes once per tenant under their SHA-256, then one catalog
// transaction writes the version, the image row and the outbox event.
//
// Tenant isolation is enforced below this package, by row-level security
// in the catalog; the HTTP layer additionally checks roles
// (Principal.Can). Errors are the sentinels in errors.go; StatusFor maps
// them to HTTP statuses in one place.
//
// Invalidation: the catalog numbers committed outbox rows behind a
// transaction-id watermark and wakes Service.Events long polls via
// EventsChanged; Publisher pushes each event to every edge's /_purge right
// after its commit (Service.OnCommit), before it is sequenced.
package origin
