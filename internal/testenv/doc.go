// Package testenv starts throwaway PostgreSQL and MinIO servers (and
// multi-process pixcdn clusters) for tests. When a server binary is missing,
// tests fail under CI (CI set) and skip with a message naming `make deps`
// otherwise. It also holds the small helpers tests share: Context,
// WaitFor, CPUTime (wait.go). It is never used by production code paths.
package testenv
