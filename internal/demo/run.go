package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"pixcdn/internal/localserver"
)

// Run starts PostgreSQL and MinIO under cfg.Dir, the origin and cfg.Edges
// edges joined into one cluster as supervised children, uploads the
// samples, prints the URLs to open on cfg.Stdout, and runs until ctx ends.
// Then it stops every process it started, newest first, and returns nil.
// It returns early with an error when the stack cannot start.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	s, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	log := s.Logger
	dir, err := filepath.Abs(s.Dir)
	if err != nil {
		return err
	}
	// 0755: PostgreSQL runs as its own user and must traverse this directory.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ports := s.Ports()
	secrets, err := loadSecrets(filepath.Join(dir, "secrets"))
	if err != nil {
		return err
	}
	pg, minio, err := startStores(ctx, dir, ports, secrets, log)
	if err != nil {
		return err
	}
	// Deferred calls run last first: the children, then MinIO, then
	// PostgreSQL, the reverse of the start order.
	defer pg.Stop(10 * time.Second)
	defer minio.Stop(10 * time.Second)

	sup := newSupervisor(s.Binary, log)
	defer sup.stopAll(10 * time.Second)
	stack := &stack{settings: &s, dir: dir, ports: ports, secrets: secrets, pg: pg, minio: minio, sup: sup, log: log}
	if err := stack.start(ctx); err != nil {
		return err
	}
	stack.printURLs(s.Stdout)
	go reportStoreExit(ctx, log, pg.Process, filepath.Join(pg.Dir, "postgres.log"))
	go reportStoreExit(ctx, log, minio.Process, filepath.Join(dir, "minio", "minio.log"))
	<-ctx.Done()
	log.Info("stopping the demo")
	return nil
}

// reportStoreExit logs PostgreSQL or MinIO exiting before ctx ends. The
// demo keeps running, with edges serving what they cached, which is what an
// operator trying a store failure wants to see.
func reportStoreExit(ctx context.Context, log *slog.Logger, p *localserver.Process, logPath string) {
	select {
	case <-ctx.Done():
	case <-p.Exited():
		if ctx.Err() == nil {
			log.Error("store exited; the demo keeps running without it (restart the demo to bring it back)",
				"name", p.Name(), "status", exitStatus(p.Err()), "log", logPath)
		}
	}
}

func startStores(ctx context.Context, dir string, ports Ports, sec secretFiles, log *slog.Logger) (*localserver.Postgres, *localserver.MinIO, error) {
	log.Info("starting PostgreSQL", "dir", filepath.Join(dir, "postgres"), "port", ports.Postgres)
	pg, err := localserver.StartPostgres(ctx, localserver.PostgresConfig{
		Dir: filepath.Join(dir, "postgres"), Port: ports.Postgres, Durable: true,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	if want := filepath.Join(dir, "postgres"); pg.Dir != want {
		log.Warn("PostgreSQL's user cannot reach the state directory; its data lives elsewhere", "dir", pg.Dir)
	}
	log.Info("starting MinIO", "dir", filepath.Join(dir, "minio"), "port", ports.MinIO)
	minio, err := localserver.StartMinIO(ctx, localserver.MinIOConfig{
		Dir: filepath.Join(dir, "minio"), Port: ports.MinIO, AccessKey: "pixcdn", SecretKey: sec.MinIOSecret,
	})
	if err != nil {
		pg.Stop(10 * time.Second)
		return nil, nil, fmt.Errorf("MinIO: %w", err)
	}
	return pg, minio, nil
}

// secretFiles are generated on the first run and kept in DIR/secrets so the
// stack restarts with the same keys. The children read them from there
// (--NAME-file), so no secret is on a command line.
type secretFiles struct {
	Dir                                                                  string
	MinIOSecret, AdminKey, ClusterSecret, PurgeToken, SignKey, GossipKey string
}

// file is the path of the secret file name in DIR/secrets.
func (s secretFiles) file(name string) string { return filepath.Join(s.Dir, name) }

func loadSecrets(dir string) (secretFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return secretFiles{}, err
	}
	read := func(name string, size int) (string, error) {
		path := filepath.Join(dir, name)
		if b, err := os.ReadFile(path); err == nil {
			return strings.TrimSpace(string(b)), nil
		}
		buf := make([]byte, size)
		_, _ = rand.Read(buf)
		value := hex.EncodeToString(buf)
		return value, os.WriteFile(path, []byte(value+"\n"), 0o600)
	}
	s := secretFiles{Dir: dir}
	var err error
	for _, f := range []struct {
		name string
		size int
		dst  *string
	}{
		{"minio-secret", 16, &s.MinIOSecret}, {"admin-key", 24, &s.AdminKey}, {"cluster-secret", 24, &s.ClusterSecret},
		{"purge-token", 24, &s.PurgeToken}, {"sign-key", 24, &s.SignKey}, {"gossip-key", 16, &s.GossipKey},
	} {
		if *f.dst, err = read(f.name, f.size); err != nil {
			return s, err
		}
	}
	return s, nil
}
