// Package demo runs `pixcdn demo`: a whole local stack on loopback, for
// trying pixcdn on one machine. It starts PostgreSQL and MinIO
// (internal/localserver) under a state directory kept between runs, the
// origin and the edges as supervised child processes of the pixcdn binary
// (restarted after a backoff when they exit), creates a tenant and an edge
// key, uploads sample images and prints the URLs to open.
//
// Secrets are generated into DIR/secrets on the first run and handed to
// the children as files (--NAME-file), never on a command line.
//
// It is for development only and knows nothing of the edge's or the
// origin's internals: it drives them through their command lines and the
// origin's HTTP API.
package demo
