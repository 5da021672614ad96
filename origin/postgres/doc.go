// Package postgres adapts PostgreSQL to the origin's catalog: tenants, keys,
// images, the invalidation outbox and the upload ledger, isolated per tenant
// by row-level security. It knows nothing of MinIO.
package postgres
