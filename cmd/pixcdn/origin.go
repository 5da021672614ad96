package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"pixcdn/internal/config"
	"pixcdn/origin"
	"pixcdn/origin/console"
	"pixcdn/origin/minio"
	"pixcdn/origin/postgres"
	"pixcdn/origin/uploads"
)

// originSettings configure `pixcdn origin`.
type originSettings struct {
	logSettings
	traceSettings
	Listen        string        `flag:"listen" help:"HTTP listen address of the origin API"`
	Postgres      string        `flag:"postgres" secret:"true" help:"PostgreSQL DSN; its user owns the schema (migrations) and the service works as the non-owner role pixcdn_app; a password may also come from PGPASSWORD or ~/.pgpass"`
	PGConns       int           `flag:"postgres-conns" help:"PostgreSQL connection pool size"`
	S3            string        `flag:"s3" secret:"true" help:"MinIO/S3 as http(s)://ACCESS:SECRET@HOST:PORT/BUCKET (the bucket is created if missing)"`
	AdminKey      string        `flag:"admin-key" secret:"true" help:"bootstrap system admin API key, ≥ 16 characters (also read from PIXCDN_ORIGIN_ADMIN_KEY)"`
	Edges         []string      `flag:"edges" help:"edges' internal base URLs to push invalidations to (POST /_purge), comma-separated"`
	PurgeToken    string        `flag:"purge-token" secret:"true" help:"bearer token for the edges' /_purge (required with --edges)"`
	MaxUpload     config.Bytes  `flag:"max-upload" help:"largest image accepted (413 above)"`
	MaxPixels     int64         `flag:"max-pixels" help:"largest width×height accepted (422 above)"`
	CacheCtl      string        `flag:"cache-control" help:"Cache-Control policy of new tenants"`
	SpoolDir      string        `flag:"spool-dir" help:"folder for uploads being hashed and probed (default: the system temp folder)"`
	UploadTTL     time.Duration `flag:"upload-expiry" help:"how long a resumable upload may take (< 24h, MinIO's multipart cleanup)"`
	OrphanTTL     time.Duration `flag:"orphan-sweep" help:"remove stored bytes no image references once this old, sweeping as often; 0 disables"`
	SignKey       string        `flag:"sign-key" secret:"true" help:"the edges' URL signing key (≥ 16 bytes): POST /v1/{tenant}/sign signs URLs for editors (the console's signed previews); default: signing off"`
	ConsoleEdge   string        `flag:"console-edge-url" help:"public base URL of an edge, e.g. https://cdn.example: serves the web console at /console/ with thumbnails from there; default: no console"`
	ConsoleAssets string        `flag:"console-assets" help:"folder of the console's npm packages (tus-js-client), installed by make deps; default: origin/console/npm under the working directory, ../share/pixcdn/console beside the binary, or origin/console/npm under the binary's parent folders"`
}

func originCommand() command {
	return command{
		name:    "origin",
		summary: "run the origin service (uploads, metadata, originals, event feed)",
		usage:   "[flags] [migrate]",
		description: `Serves the origin API on --listen: images (PUT, multipart POST, GET, PATCH,
DELETE, listing), originals for edges, tus resumable uploads, tenants and keys,
the invalidation feed (GET /v1/events) and /metrics, /healthz, /readyz. Bytes
live in --s3, everything else in --postgres. With --console-edge-url it also
serves the web console at /console/ (docs/console.md). Migrations run at start; the
positional argument "migrate" (after the flags) runs them and exits.`,
		newSettings: func() any { return defaultOriginSettings() },
		run: func(ctx context.Context, s any, args []string) error {
			return runOrigin(ctx, s.(*originSettings), args)
		},
	}
}

func defaultOriginSettings() *originSettings {
	oc, uc := origin.DefaultConfig(), uploads.DefaultConfig()
	return &originSettings{
		logSettings: defaultLogSettings(), traceSettings: defaultTraceSettings(),
		Listen: "127.0.0.1:8090", PGConns: int(postgres.DefaultConfig().MaxConns),
		MaxUpload: config.Bytes(oc.MaxUploadBytes), MaxPixels: oc.MaxPixels, CacheCtl: oc.CacheControl,
		UploadTTL: uc.Expiry, OrphanTTL: time.Hour,
	}
}

// parseS3 reads http(s)://ACCESS:SECRET@HOST:PORT/BUCKET.
func parseS3(raw string) (minio.Config, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User == nil || u.Host == "" {
		return minio.Config{}, errors.New("s3: want http(s)://ACCESS:SECRET@HOST:PORT/BUCKET")
	}
	secret, _ := u.User.Password()
	cfg := minio.Config{Endpoint: u.Host, AccessKey: u.User.Username(), SecretKey: secret,
		Bucket: trimSlashes(u.Path), Secure: u.Scheme == "https"}
	return cfg, cfg.Validate()
}

func trimSlashes(s string) string {
	for len(s) > 0 && s[0] == '/' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

func (s *originSettings) configs() (postgres.Config, minio.Config, origin.Config, error) {
	pc := postgres.DefaultConfig()
	pc.DSN, pc.MaxConns, pc.TracerProvider = s.Postgres, int32(s.PGConns), s.tracerProvider()
	if err := pc.Validate(); err != nil {
		return pc, minio.Config{}, origin.Config{}, fmt.Errorf("postgres: %w", err)
	}
	mc, err := parseS3(s.S3)
	if err != nil {
		return pc, mc, origin.Config{}, err
	}
	mc.TracerProvider = s.tracerProvider()
	oc := origin.DefaultConfig()
	oc.MaxUploadBytes, oc.MaxPixels, oc.CacheControl, oc.SpoolDir = int64(s.MaxUpload), s.MaxPixels, s.CacheCtl, s.SpoolDir
	oc.AdminKey = s.AdminKey
	if s.SignKey != "" && len(s.SignKey) < 16 {
		return pc, mc, oc, errors.New("sign-key: must be at least 16 bytes")
	}
	if s.ConsoleEdge != "" {
		if err := (console.Config{EdgeURL: s.ConsoleEdge}).Validate(); err != nil {
			return pc, mc, oc, err
		}
	}
	if oc.AdminKey == "" {
		oc.AdminKey = os.Getenv("PIXCDN_ORIGIN_ADMIN_KEY")
	}
	return pc, mc, oc, oc.Validate()
}

func runOrigin(ctx context.Context, s *originSettings, args []string) error {
	log, err := s.newLogger(os.Stderr)
	if err != nil {
		return badUsage(err)
	}
	slog.SetDefault(log)
	if err := s.traceSettings.validate(); err != nil {
		return badUsage(err)
	}
	stopTracing, err := s.traceSettings.start(ctx, "pixcdn-origin", s.Listen, log)
	if err != nil {
		return badUsage(err)
	}
	defer stopTracing()
	pc, mc, oc, err := s.configs()
	if err != nil {
		return badUsage(err)
	}
	migrateOnly := len(args) == 1 && args[0] == "migrate"
	if len(args) > 0 && !migrateOnly {
		return badUsage(fmt.Errorf("unexpected arguments %q (only \"migrate\")", args))
	}
	applied, err := postgres.Migrate(ctx, pc)
	if err != nil {
		return err
	}
	log.Info("migrations", "applied", applied)
	if migrateOnly {
		return nil
	}
	o, err := startOrigin(ctx, s, pc, mc, oc, log)
	if err != nil {
		return err
	}
	defer o.stop(log)
	log.Info("origin serving", "listen", s.Listen, "edges", s.Edges)
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		return nil
	case err := <-o.failed:
		return err
	}
}
