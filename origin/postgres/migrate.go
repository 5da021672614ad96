package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLockKey is the session advisory lock that serialises migrators
// (any number of processes may call Migrate at once).
const migrateLockKey = 0x7069786364_6e01 // "pixcdn" + 1

// ErrBadMigration is returned for a migration file whose name is not
// NNNN_name.sql or whose number is used twice.
var ErrBadMigration = errors.New("postgres: bad migration")

// Migration is one embedded schema change.
type Migration struct {
	Version int    // from the file name's leading digits
	Name    string // the file name
	SQL     string
}

// Migrations returns the embedded migrations in version order.
// 0001–0099 belong to the catalog, 0100–0199 to the upload ledger.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		m, err := readMigration(e.Name())
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[m.Version]; dup {
			return nil, fmt.Errorf("%w: %s and %s share version %d", ErrBadMigration, prev, m.Name, m.Version)
		}
		seen[m.Version] = m.Name
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

func readMigration(name string) (Migration, error) {
	num, _, ok := strings.Cut(name, "_")
	v, err := strconv.Atoi(num)
	if !ok || err != nil || v <= 0 || !strings.HasSuffix(name, ".sql") {
		return Migration{}, fmt.Errorf("%w: file name %q is not NNNN_name.sql", ErrBadMigration, name)
	}
	sql, err := fs.ReadFile(migrationFiles, path.Join("migrations", name))
	if err != nil {
		return Migration{}, err
	}
	return Migration{Version: v, Name: name, SQL: string(sql)}, nil
}

// Migrate applies every embedded migration not yet recorded in
// schema_migrations, in version order, each in its own transaction with
// its record. It holds a session advisory lock on a dedicated connection
// for the whole run, so concurrent callers (two processes starting at
// once) apply each migration exactly once; running it again is a no-op.
// It returns the versions it applied. It blocks up to cfg.LockTimeout for
// the lock.
func Migrate(ctx context.Context, cfg Config) ([]int, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	migrations, err := Migrations()
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := lockMigrations(ctx, conn, cfg); err != nil {
		return nil, err
	}
	// Closing the connection releases the lock on every path.
	return applyMissing(ctx, conn, migrations)
}

func lockMigrations(ctx context.Context, conn *pgx.Conn, cfg Config) error {
	lockCtx, cancel := context.WithTimeout(ctx, cfg.LockTimeout)
	defer cancel()
	if _, err := conn.Exec(lockCtx, `SELECT pg_advisory_lock($1)`, int64(migrateLockKey)); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY,
		name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`
	if _, err := conn.Exec(ctx, create); err != nil {
		return fmt.Errorf("postgres: schema_migrations: %w", err)
	}
	return nil
}

func applyMissing(ctx context.Context, conn *pgx.Conn, migrations []Migration) ([]int, error) {
	done := map[int]bool{}
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("postgres: read schema_migrations: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, fmt.Errorf("postgres: read schema_migrations: %w", err)
	}
	for _, v := range versions {
		done[int(v)] = true
	}
	var applied []int
	for _, m := range migrations {
		if done[m.Version] {
			continue
		}
		if err := applyOne(ctx, conn, m); err != nil {
			return applied, err
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

func applyOne(ctx context.Context, conn *pgx.Conn, m Migration) error {
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// Simple protocol: a migration file holds many statements.
		if _, err := tx.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
	}
	return nil
}
