package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	xslog "golang.org/x/exp/slog"

	"pixcdn/edge/imgurl"
	"pixcdn/origin"
	"pixcdn/origin/console"
	"pixcdn/origin/minio"
	"pixcdn/origin/postgres"
	"pixcdn/origin/uploads"
)

// originProcess is a running origin: every part that must be stopped.
type originProcess struct {
	db        *postgres.DB
	notifier  *postgres.Notifier
	publisher *origin.Publisher
	sweeper   *uploads.Sweeper
	orphans   *origin.OrphanSweeper
	server    *http.Server
	failed    chan error
}

func startOrigin(ctx context.Context, s *originSettings, pc postgres.Config, mc minio.Config, oc origin.Config, log *slog.Logger) (*originProcess, error) {
	db, err := postgres.Open(ctx, pc)
	if err != nil {
		return nil, err
	}
	o := &originProcess{db: db, failed: make(chan error, 1)}
	if err := o.start(ctx, s, mc, oc, log); err != nil {
		o.stop(log)
		return nil, err
	}
	return o, nil
}

func (o *originProcess) start(ctx context.Context, s *originSettings, mc minio.Config, oc origin.Config, log *slog.Logger) error {
	store, err := minio.New(ctx, mc)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	catalog := postgres.NewCatalog(o.db)
	svc, err := origin.New(oc, catalog, store, reg)
	if err != nil {
		return err
	}
	o.notifier = postgres.StartNotifier(catalog, svc.EventsChanged, time.Second)
	pcfg := origin.DefaultPublisherConfig()
	pcfg.Edges, pcfg.PurgeToken = s.Edges, s.PurgeToken
	if o.publisher, err = origin.StartPublisher(ctx, pcfg, svc); err != nil {
		return err
	}
	if s.OrphanTTL > 0 {
		o.orphans = origin.StartOrphanSweeper(svc, s.OrphanTTL, s.OrphanTTL)
	}
	up, err := o.startUploads(s, svc, store, log)
	if err != nil {
		return err
	}
	opts := origin.HandlerOptions{Uploads: up, Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}
	if s.SignKey != "" {
		opts.SignURL = urlSigner([]byte(s.SignKey))
	}
	if opts.Console, err = s.console(log); err != nil {
		return err
	}
	handler := svc.Handler(opts)
	if s.enabled() {
		handler = tracedHandler(handler)
	}
	return o.listen(s.Listen, handler)
}

// urlSigner signs the way edges holding key verify (edge/imgurl).
func urlSigner(key []byte) origin.URLSigner {
	return func(rawPath, rawQuery string, expires time.Time) string {
		if expires.IsZero() {
			return imgurl.SignURL(key, rawPath, rawQuery)
		}
		return imgurl.SignURLUntil(key, rawPath, rawQuery, expires)
	}
}

// console is the web console's handler, nil without --console-edge-url.
func (s *originSettings) console(log *slog.Logger) (http.Handler, error) {
	if s.ConsoleEdge == "" {
		return nil, nil
	}
	cfg := console.Config{EdgeURL: s.ConsoleEdge, AssetsDir: s.ConsoleAssets}
	if cfg.AssetsDir == "" {
		cfg.AssetsDir = console.FindAssets()
	}
	if cfg.AssetsDir == "" {
		log.Warn("console: tus-js-client not found, uploads in the console are off; run `make deps` or pass --console-assets")
	}
	return console.New(cfg)
}

// startUploads builds the tus handler and its expiry sweeper over the same
// database and bucket; a completed upload goes through svc.Ingest.
func (o *originProcess) startUploads(s *originSettings, svc *origin.Service, store *minio.Store, log *slog.Logger) (http.Handler, error) {
	ucfg := uploads.DefaultConfig()
	ucfg.MaxSize, ucfg.Expiry = int64(s.MaxUpload), s.UploadTTL
	deps := uploads.Deps{
		Ledger:   postgres.NewUploadLedger(o.db),
		Staging:  minio.NewMultipart(store.Client(), store.Bucket()),
		Locks:    postgres.NewUploadLocks(o.db),
		Ingester: uploads.IngesterFunc(ingestUpload(svc)),
		Status:   origin.StatusFor,
	}
	h, err := uploads.New(ucfg, deps, tusLogger(s))
	if err != nil {
		return nil, err
	}
	if o.sweeper, err = uploads.NewSweeper(ucfg, deps); err != nil {
		return nil, err
	}
	o.sweeper.Start(func(err error) { log.Warn("upload sweeper", "err", err) })
	return h, nil
}

// tusLogger is the logger of tusd, which speaks golang.org/x/exp/slog:
// warnings and errors only, in the command's log format.
func tusLogger(s *originSettings) *xslog.Logger {
	opts := &xslog.HandlerOptions{Level: xslog.LevelWarn}
	if s.LogFormat == "json" {
		return xslog.New(xslog.NewJSONHandler(os.Stderr, opts))
	}
	return xslog.New(xslog.NewTextHandler(os.Stderr, opts))
}

func ingestUpload(svc *origin.Service) func(context.Context, uploads.Ingestion) (uploads.Ingested, error) {
	return func(ctx context.Context, in uploads.Ingestion) (uploads.Ingested, error) {
		im, err := svc.Ingest(ctx, in.Tenant, in.PublicID, in.Body, origin.IngestOptions{Tags: in.Tags})
		return uploads.Ingested{Version: im.Version, ETag: im.ETag()}, err
	}
}

func (o *originProcess) listen(addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	o.server = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := o.server.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			o.failed <- err
		}
	}()
	return nil
}

// stop shuts the server down (long polls get up to 5s), then the
// background work, then the pool.
func (o *originProcess) stop(log *slog.Logger) {
	if o.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := o.server.Shutdown(ctx); err != nil {
			log.Warn("origin shutdown", "err", err)
			o.server.Close()
		}
		cancel()
	}
	if o.publisher != nil {
		o.publisher.Close()
	}
	if o.sweeper != nil {
		o.sweeper.Close()
	}
	if o.orphans != nil {
		o.orphans.Close()
	}
	if o.notifier != nil {
		o.notifier.Close()
	}
	o.db.Close()
}
