package testenv

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"pixcdn/internal/localserver"
)

// privateServers numbers the folders of private servers.
var privateServers atomic.Int64

// privateDir returns a fresh folder for a private server.
func privateDir(kind string) (string, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	return scratchDir(fmt.Sprintf("private-%s-%d", kind, privateServers.Add(1)))
}

// PrivatePostgres is a PostgreSQL server of one test's own, which the test
// may stop and start again (fault tests); it keeps its port and data, so
// clients reconnect to the same DSN. It is stopped when the test ends.
// Stop and Start are safe for concurrent use with the server's clients,
// not with each other.
type PrivatePostgres struct {
	// DSN is a database "pixcdn" on the server, as the superuser.
	DSN string
	t   testing.TB
	cfg localserver.PostgresConfig
	mu  sync.Mutex
	srv *localserver.Postgres
}

// NewPrivatePostgres starts a PostgreSQL server for t alone (fsync off)
// with an empty database "pixcdn".
func NewPrivatePostgres(t testing.TB) *PrivatePostgres {
	t.Helper()
	dir, err := privateDir("postgres")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	p := &PrivatePostgres{t: t, cfg: localserver.PostgresConfig{Dir: dir}}
	if err := p.start(); err != nil {
		Unavailable(t, "PostgreSQL", err)
	}
	t.Cleanup(p.Stop)
	p.cfg.Dir, p.cfg.Port = p.srv.Dir, p.srv.Port
	if err := (&postgresServer{Postgres: p.srv}).exec("CREATE DATABASE pixcdn"); err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	p.DSN = p.srv.DSN("pixcdn")
	return p
}

func (p *PrivatePostgres) start() error {
	ctx, cancel := startContext()
	defer cancel()
	srv, err := localserver.StartPostgres(ctx, p.cfg)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	return nil
}

// Stop shuts the server down fast (open transactions are aborted, clients
// disconnected) and returns once it has exited. Stopping a stopped server
// does nothing.
func (p *PrivatePostgres) Stop() {
	p.mu.Lock()
	srv := p.srv
	p.mu.Unlock()
	srv.Stop(10 * time.Second)
}

// Start starts the stopped server again on the same port and data and
// returns once it accepts connections.
func (p *PrivatePostgres) Start() {
	p.t.Helper()
	if err := p.start(); err != nil {
		p.t.Fatalf("testenv: restart PostgreSQL: %v", err)
	}
}

// PrivateMinIO is a MinIO server of one test's own, which the test may
// stop and start again (fault tests); it keeps its port and objects. It
// is stopped when the test ends. Stop and Start are safe for concurrent
// use with the server's clients, not with each other.
type PrivateMinIO struct {
	// Server has the endpoint, the root credentials and a bucket made for
	// the test.
	Server MinIOServer
	t      testing.TB
	cfg    localserver.MinIOConfig
	mu     sync.Mutex
	srv    *localserver.MinIO
}

// NewPrivateMinIO starts a MinIO server for t alone, with one bucket.
func NewPrivateMinIO(t testing.TB) *PrivateMinIO {
	t.Helper()
	dir, err := privateDir("minio")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	m := &PrivateMinIO{t: t, cfg: localserver.MinIOConfig{Dir: dir, AccessKey: "pixcdn-test", SecretKey: "pixcdn-test-secret"}}
	if err := m.start(); err != nil {
		Unavailable(t, "MinIO", err)
	}
	t.Cleanup(m.Stop)
	_, port, _ := net.SplitHostPort(m.srv.Endpoint)
	m.cfg.Port, _ = strconv.Atoi(port)
	m.Server = MinIOServer{Endpoint: m.srv.Endpoint, AccessKey: m.cfg.AccessKey, SecretKey: m.cfg.SecretKey, Bucket: "private"}
	client, err := minio.New(m.srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.cfg.AccessKey, m.cfg.SecretKey, "")})
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := client.MakeBucket(ctx, m.Server.Bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("testenv: make bucket: %v", err)
	}
	return m
}

func (m *PrivateMinIO) start() error {
	ctx, cancel := startContext()
	defer cancel()
	srv, err := localserver.StartMinIO(ctx, m.cfg)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.srv = srv
	m.mu.Unlock()
	return nil
}

// Stop shuts the server down and returns once it has exited; stopping a
// stopped server does nothing.
func (m *PrivateMinIO) Stop() {
	m.mu.Lock()
	srv := m.srv
	m.mu.Unlock()
	srv.Stop(10 * time.Second)
}

// Start starts the stopped server again on the same port and data and
// returns once it answers.
func (m *PrivateMinIO) Start() {
	m.t.Helper()
	if err := m.start(); err != nil {
		m.t.Fatalf("testenv: restart MinIO: %v", err)
	}
}
