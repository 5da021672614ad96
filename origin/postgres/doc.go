// Package postgres adapts PostgreSQL to the origin's catalog: tenants, keys,
// images, the invalidation outbox, and to the upload ledger and leases that
// origin/uploads declares (uploads.Ledger, uploads.Locks), isolated per tenant
// by row-level security. It knows nothing of MinIO.
//
// Schema changes are embedded migrations (migrations/NNNN_name.sql; 0001–
// 0099 the catalog, 0100–0199 the upload ledger), applied in order by
// Migrate under a session advisory lock and recorded in schema_migrations.
//
// The RLS pattern, for every table holding tenant rows: ENABLE and FORCE
// ROW LEVEL SECURITY, a policy comparing the tenant column with
// current_setting('pixcdn.tenant', true), and grants to the non-owner role
// AppRole. Code reaches tenant rows only through DB.InTenant (a transaction
// with set_config('pixcdn.tenant', t, true) and set_config('role',
// AppRole, true)) or a pipelined read doing the same in one round trip;
// never a session SET on a pooled connection.
package postgres
