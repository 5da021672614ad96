// Package localserver starts and stops local PostgreSQL and MinIO server
// processes on loopback: throwaway ones for tests (internal/testenv) and
// persistent ones for `pixcdn demo`. It finds the server binaries, runs
// PostgreSQL as the unprivileged `postgres` user when started as root, waits
// until each server answers, and stops it with its own fast-shutdown signal.
//
// It is for development and tests only; production deployments run their own
// database and object store.
package localserver
