// Package edge is the request path of an edge node: it parses an image URL,
// negotiates the output format, routes the request to the variant's ring owner,
// looks the variant up in the tiered cache, fills misses once per key
// (singleflight) from the original and the transform pool, and writes the HTTP
// response with its validators and cache headers.
//
// It must not know about Badger, memberlist, govips, MinIO or PostgreSQL: it
// sees only the small interfaces it declares in deps.go.
package edge
