package testenv

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"pixcdn/internal/localserver"
)

type postgresServer struct {
	*localserver.Postgres
	databases atomic.Int64
}

// Postgres returns the DSN of a fresh, empty database on this test binary's
// throwaway PostgreSQL server (started on first use, fsync off, superuser
// `postgres`, 127.0.0.1 only). The database is dropped when t ends.
func Postgres(t testing.TB) string {
	t.Helper()
	srv, err := sharedPostgres()
	if err != nil {
		Unavailable(t, "PostgreSQL", err)
	}
	name := fmt.Sprintf("test_%d", srv.databases.Add(1))
	if err := srv.exec(fmt.Sprintf("CREATE DATABASE %s", name)); err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			t.Logf("testenv: drop database %s: %v", name, err)
		}
	})
	return srv.DSN(name)
}

func sharedPostgres() (*postgresServer, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.pg != nil || shared.pgErr != nil {
		return shared.pg, shared.pgErr
	}
	dir, err := scratchDir("postgres")
	if err == nil {
		ctx, cancel := startContext()
		defer cancel()
		var pg *localserver.Postgres
		pg, err = localserver.StartPostgres(ctx, localserver.PostgresConfig{Dir: dir})
		if err == nil {
			shared.pg = &postgresServer{Postgres: pg}
			shared.stops = append(shared.stops, func() { pg.Stop(10 * time.Second) })
		}
	}
	shared.pgErr = err
	return shared.pg, err
}

func (s *postgresServer) exec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
