package main

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

// demoSettings configure `pixcdn demo`: a whole local stack on loopback.
type demoSettings struct {
	logSettings
	Dir       string `flag:"dir" help:"state directory for PostgreSQL, MinIO, caches and keys; kept between runs"`
	Tenant    string `flag:"tenant" help:"tenant created and filled with sample images"`
	Edges     int    `flag:"edges" help:"number of edge nodes (1..9)"`
	PortBase  int    `flag:"port-base" help:"first port: edges serve on BASE.., their internal ports BASE+100.., gossip BASE+200.., origin BASE+300, PostgreSQL BASE+301, MinIO BASE+302"`
	NoSamples bool   `flag:"no-samples" help:"do not upload the sample images"`
	// Restarts let an operator try a node failure (kill an edge, watch the
	// others take over and the node come back) without losing the stack.
	RestartEdges  bool `flag:"restart-edges" help:"restart an edge that exits, after a backoff; false leaves it down"`
	RestartOrigin bool `flag:"restart-origin" help:"restart the origin when it exits, after a backoff; false leaves it down"`
}

func demoCommand() command {
	return command{
		name:    "demo",
		summary: "run a local stack: PostgreSQL, MinIO, origin and three edges",
		usage:   "[flags]",
		description: `Starts PostgreSQL and MinIO under --dir (data persists between runs), the origin,
and --edges edge nodes joined into one cluster, uploads sample images to --tenant,
and prints the URLs to open. Secrets are generated into DIR/secrets and handed to
the processes as files, never on a command line. A process that exits is logged
with its exit status; edges and the origin are restarted after a backoff (see
--restart-edges, --restart-origin), PostgreSQL or MinIO exiting is reported and
the rest keeps running. Ctrl-C stops every process it started, newest first.`,
		newSettings: func() any {
			return &demoSettings{logSettings: defaultLogSettings(), Dir: ".run", Tenant: "demo", Edges: 3, PortBase: 8080,
				RestartEdges: true, RestartOrigin: true}
		},
		run: func(ctx context.Context, s any, _ []string) error { return runDemo(ctx, s.(*demoSettings)) },
	}
}

func (s *demoSettings) validate() error {
	switch {
	case s.Edges < 1 || s.Edges > 9:
		return fmt.Errorf("edges: %d is out of range 1..9", s.Edges)
	case s.PortBase < 1024 || s.PortBase > 65535-400:
		return fmt.Errorf("port-base: %d is out of range 1024..65135", s.PortBase)
	case s.Tenant == "" || strings.ContainsAny(s.Tenant, "/?# "):
		return fmt.Errorf("tenant: %q is not a valid tenant id", s.Tenant)
	}
	return nil
}

// demoPorts are the loopback ports of every process of the demo.
type demoPorts struct {
	public, internal, gossip []int
	origin, postgres, minio  int
}

func (s *demoSettings) ports() demoPorts {
	p := demoPorts{origin: s.PortBase + 300, postgres: s.PortBase + 301, minio: s.PortBase + 302}
	for i := range s.Edges {
		p.public = append(p.public, s.PortBase+i)
		p.internal = append(p.internal, s.PortBase+100+i)
		p.gossip = append(p.gossip, s.PortBase+200+i)
	}
	return p
}

func runDemo(ctx context.Context, s *demoSettings) error {
	if err := s.validate(); err != nil {
		return badUsage(err)
	}
	log, err := s.newLogger(os.Stderr)
	if err != nil {
		return badUsage(err)
	}
	dir, err := filepath.Abs(s.Dir)
	if err != nil {
		return err
	}
	// 0755: PostgreSQL runs as its own user and must traverse this directory.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ports := s.ports()
	secrets, err := loadDemoSecrets(filepath.Join(dir, "secrets"))
	if err != nil {
		return err
	}
	pg, minio, err := startDemoStores(ctx, dir, ports, secrets, log)
	if err != nil {
		return err
	}
	// Deferred calls run last first: the children, then MinIO, then
	// PostgreSQL, the reverse of the start order.
	defer pg.Stop(10 * time.Second)
	defer minio.Stop(10 * time.Second)

	sup := newSupervisor(log)
	defer sup.stopAll(10 * time.Second)
	stack := &demoStack{settings: s, dir: dir, ports: ports, secrets: secrets, pg: pg, minio: minio, sup: sup, log: log}
	if err := stack.start(ctx); err != nil {
		return err
	}
	stack.printURLs(os.Stdout)
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

func startDemoStores(ctx context.Context, dir string, ports demoPorts, sec demoSecrets, log *slog.Logger) (*localserver.Postgres, *localserver.MinIO, error) {
	log.Info("starting PostgreSQL", "dir", filepath.Join(dir, "postgres"), "port", ports.postgres)
	pg, err := localserver.StartPostgres(ctx, localserver.PostgresConfig{
		Dir: filepath.Join(dir, "postgres"), Port: ports.postgres, Durable: true,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	if want := filepath.Join(dir, "postgres"); pg.Dir != want {
		log.Warn("PostgreSQL's user cannot reach the state directory; its data lives elsewhere", "dir", pg.Dir)
	}
	log.Info("starting MinIO", "dir", filepath.Join(dir, "minio"), "port", ports.minio)
	minio, err := localserver.StartMinIO(ctx, localserver.MinIOConfig{
		Dir: filepath.Join(dir, "minio"), Port: ports.minio, AccessKey: "pixcdn", SecretKey: sec.MinIOSecret,
	})
	if err != nil {
		pg.Stop(10 * time.Second)
		return nil, nil, fmt.Errorf("MinIO: %w", err)
	}
	return pg, minio, nil
}

// demoSecrets are generated on the first run and kept in DIR/secrets so the
// stack restarts with the same keys. The children read them from there
// (--NAME-file), so no secret is on a command line.
type demoSecrets struct {
	Dir                                                                  string
	MinIOSecret, AdminKey, ClusterSecret, PurgeToken, SignKey, GossipKey string
}

// file is the path of the secret file name in DIR/secrets.
func (s demoSecrets) file(name string) string { return filepath.Join(s.Dir, name) }

func loadDemoSecrets(dir string) (demoSecrets, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return demoSecrets{}, err
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
	s := demoSecrets{Dir: dir}
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
