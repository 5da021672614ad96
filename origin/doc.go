// Package origin is the origin service: the domain of tenants, API keys,
// images and their versions, and the HTTP API through which images are
// uploaded, managed and fetched by edges. It declares the Blobs and Catalog
// interfaces it needs; the adapters over MinIO and PostgreSQL live in
// subpackages.
package origin
