package localserver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresConfig says where and how to run a local PostgreSQL server.
type PostgresConfig struct {
	// Dir holds the cluster (Dir/data) and its log (Dir/postgres.log). An
	// existing cluster there is reused; otherwise initdb creates one.
	Dir string
	// Port on 127.0.0.1; 0 picks a free one.
	Port int
	// Durable keeps fsync on. Tests turn it off for speed (default false).
	Durable bool
	// StartTimeout bounds initdb plus start-up (default 60s when zero).
	StartTimeout time.Duration
}

// Postgres is a running local PostgreSQL server whose superuser is
// `postgres` with trust authentication on 127.0.0.1 only.
type Postgres struct {
	*Process
	Port int
	// Dir is where the cluster and its log live: PostgresConfig.Dir, or a
	// folder under /var/tmp when the server's user cannot reach that one.
	Dir string
}

// DSN returns a connection string for database db as the superuser.
func (p *Postgres) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, db)
}

// StartPostgres initialises (if needed) and starts a PostgreSQL server, and
// returns once it accepts connections. When the current user is root, the
// server runs as the `postgres` system user, since PostgreSQL refuses root.
func StartPostgres(ctx context.Context, cfg PostgresConfig) (*Postgres, error) {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	binDirs := []string{"/usr/lib/postgresql/*/bin"}
	initdb, err := findBinary("initdb", binDirs...)
	if err != nil {
		return nil, err
	}
	server, err := findBinary("postgres", binDirs...)
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if cred != nil && !reachableBy(cfg.Dir, cred) {
		// PostgreSQL runs as `postgres`, which cannot reach a folder under,
		// say, root's 0700 home. Keep the cluster where it can, keyed by the
		// folder asked for so the same folder finds the same data again.
		cfg.Dir = unreachableFallback(cfg.Dir)
	}
	dataDir := filepath.Join(cfg.Dir, "data")
	if err := prepareDir(cfg.Dir, cred); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err != nil {
		if err := runInitdb(ctx, initdb, dataDir, cred); err != nil {
			return nil, err
		}
	}
	if cfg.Port == 0 {
		if cfg.Port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	return launchPostgres(ctx, server, cfg, dataDir, cred)
}

func launchPostgres(ctx context.Context, server string, cfg PostgresConfig, dataDir string, cred *syscall.Credential) (*Postgres, error) {
	args := []string{"-D", dataDir, "-p", strconv.Itoa(cfg.Port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
		"-c", "max_connections=200", "-c", "shared_buffers=128MB"}
	if !cfg.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(server, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	logPath := filepath.Join(cfg.Dir, "postgres.log")
	// SIGINT is PostgreSQL's "fast" shutdown: abort transactions, exit cleanly.
	proc, err := start("postgres", cmd, syscall.SIGINT, logPath)
	if err != nil {
		return nil, err
	}
	pg := &Postgres{Process: proc, Port: cfg.Port, Dir: cfg.Dir}
	ready := func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, pg.DSN("postgres"))
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	}
	if err := proc.waitReady(ctx, logPath, ready); err != nil {
		return nil, err
	}
	return pg, nil
}

func runInitdb(ctx context.Context, initdb, dataDir string, cred *syscall.Credential) error {
	cmd := exec.CommandContext(ctx, initdb, "-D", dataDir, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, out)
	}
	return nil
}

// serverCredential returns the credential to run PostgreSQL with: nil for a
// normal user, the `postgres` system user for root.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the `postgres` system user (make deps installs postgresql): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// prepareDir creates dir and hands it to the server's user.
func prepareDir(dir string, cred *syscall.Credential) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if cred == nil {
		return nil
	}
	return os.Chown(dir, int(cred.Uid), int(cred.Gid))
}
