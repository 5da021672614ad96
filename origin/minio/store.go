package minio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	mc "github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/trace"

	"pixcdn/origin"
)

// Config says how to reach the bucket.
type Config struct {
	Endpoint  string // host:port of the S3 API; required
	AccessKey string // required
	SecretKey string // required
	Bucket    string // required; created by New when missing
	Secure    bool   // HTTPS (default false)
	Region    string // default "" (server default)
	// Attempts is how many times a request is tried before its error is
	// returned (default 2: one retry, for a pooled connection the server
	// closed). minio-go's own default of 10 with backoff holds a request
	// 5-10 s when MinIO is down.
	Attempts int
	// DialTimeout bounds connecting to the endpoint (default 2s).
	DialTimeout time.Duration
	// HealthInterval is how often the client probes an endpoint it found
	// unreachable; until a probe answers, requests fail at once with an
	// outage error instead of trying the network (default 1s, minio-go's
	// minimum).
	HealthInterval time.Duration
	// TracerProvider records a client span per S3 request made under a
	// traced context (nil: none; default nil).
	TracerProvider trace.TracerProvider
}

// DefaultConfig returns a Config with no endpoint, credentials or bucket.
func DefaultConfig() Config {
	return Config{Attempts: 2, DialTimeout: 2 * time.Second, HealthInterval: time.Second}
}

// Validate reports the first missing field.
func (c Config) Validate() error {
	switch {
	case c.Endpoint == "":
		return errors.New("minio: Endpoint is required")
	case c.AccessKey == "" || c.SecretKey == "":
		return errors.New("minio: AccessKey and SecretKey are required")
	case c.Bucket == "":
		return errors.New("minio: Bucket is required")
	case c.Attempts < 0 || c.DialTimeout < 0 || (c.HealthInterval != 0 && c.HealthInterval < time.Second):
		return errors.New("minio: Attempts and DialTimeout must not be negative, HealthInterval at least 1s")
	}
	return nil
}

// withDefaults fills the tuning fields left zero.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Attempts == 0 {
		c.Attempts = d.Attempts
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = d.DialTimeout
	}
	if c.HealthInterval == 0 {
		c.HealthInterval = d.HealthInterval
	}
	return c
}

// Store is origin.Blobs over one MinIO bucket. Safe for concurrent use.
// Errors meaning MinIO is unreachable or not serving wrap
// origin.ErrBlobsUnavailable.
type Store struct {
	client      *mc.Client
	bucket      string
	stopHealth  context.CancelFunc
	closeHealth sync.Once
}

var _ origin.Blobs = (*Store)(nil)

// New connects and makes the bucket if it does not exist. It starts the
// client's health check (a goroutine, stopped by Close).
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	client, err := newClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("minio: %w", err)
	}
	s := &Store{client: client, bucket: cfg.Bucket}
	if err := s.ensureBucket(ctx, cfg.Region); err != nil {
		return nil, err
	}
	if s.stopHealth, err = client.HealthCheck(cfg.HealthInterval); err != nil {
		return nil, fmt.Errorf("minio: health check: %w", err)
	}
	return s, nil
}

// newClient is a minio-go client that fails fast when the endpoint is
// down: cfg.Attempts tries, dials bounded by cfg.DialTimeout.
func newClient(cfg Config) (*mc.Client, error) {
	tr, err := mc.DefaultTransport(cfg.Secure)
	if err != nil {
		return nil, err
	}
	tr.DialContext = (&net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	return mc.New(cfg.Endpoint, &mc.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     cfg.Secure,
		Region:     cfg.Region,
		Transport:  tracedTransport(tr, cfg),
		MaxRetries: cfg.Attempts,
	})
}

// tracedTransport wraps tr so that requests made under a traced context
// get a client span ("S3 GET") carrying the trace context; tr itself
// without cfg.TracerProvider. Requests with no span (health checks,
// sweepers) start no trace.
func tracedTransport(tr http.RoundTripper, cfg Config) http.RoundTripper {
	if cfg.TracerProvider == nil {
		return tr
	}
	return otelhttp.NewTransport(tr, otelhttp.WithTracerProvider(cfg.TracerProvider),
		otelhttp.WithFilter(func(r *http.Request) bool { return trace.SpanContextFromContext(r.Context()).IsValid() }),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "S3 " + r.Method }))
}

// Close stops the health check. Idempotent.
func (s *Store) Close() {
	s.closeHealth.Do(func() {
		if s.stopHealth != nil {
			s.stopHealth()
		}
	})
}

func (s *Store) ensureBucket(ctx context.Context, region string) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("minio: bucket %s: %w", s.bucket, err)
	}
	if ok {
		return nil
	}
	err = s.client.MakeBucket(ctx, s.bucket, mc.MakeBucketOptions{Region: region})
	if err != nil && mc.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
		return fmt.Errorf("minio: make bucket %s: %w", s.bucket, err)
	}
	return nil
}

// Client returns the underlying client (for the multipart adapter).
func (s *Store) Client() *mc.Client { return s.client }

// Bucket returns the bucket name.
func (s *Store) Bucket() string { return s.bucket }

// Put implements origin.Blobs.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	_, err := s.client.PutObject(ctx, s.bucket, key, r, size, mc.PutObjectOptions{
		ContentType:      contentType,
		DisableMultipart: size >= 0 && size <= 64<<20,
		SendContentMd5:   false,
	})
	if err != nil {
		return s.wrap("put", key, err)
	}
	return nil
}

// Open implements origin.Blobs. The object is fetched lazily: the first
// Read or Seek issues the GET (a missing key fails there with
// origin.ErrNotFound); a Seek to a new offset issues a ranged GET.
func (s *Store) Open(ctx context.Context, key string) (io.ReadSeekCloser, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, key, mc.GetObjectOptions{})
	if err != nil {
		return nil, s.wrap("open", key, err)
	}
	return &object{Object: obj, store: s, key: key}, nil
}

// Delete implements origin.Blobs.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.client.RemoveObject(ctx, s.bucket, key, mc.RemoveObjectOptions{}); err != nil {
		return s.wrap("delete", key, err)
	}
	return nil
}

// Exists reports whether key is stored.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	_, err := s.client.StatObject(ctx, s.bucket, key, mc.StatObjectOptions{})
	if err == nil {
		return true, nil
	}
	if err = s.wrap("stat", key, err); errors.Is(err, origin.ErrNotFound) {
		return false, nil
	}
	return false, err
}

// Walk implements origin.Blobs.
func (s *Store) Walk(ctx context.Context, prefix string, fn func(key string, modified time.Time) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine when fn fails
	for obj := range s.client.ListObjects(ctx, s.bucket, mc.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return s.wrap("list", prefix, obj.Err)
		}
		if err := fn(obj.Key, obj.LastModified); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Ping implements origin.Blobs: the bucket must exist and answer.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("minio: %w: %w", origin.ErrBlobsUnavailable, err)
	}
	if !ok {
		return fmt.Errorf("minio: bucket %s is gone: %w", s.bucket, origin.ErrBlobsUnavailable)
	}
	return nil
}

// wrap names op and key in err and maps it to an origin sentinel: a
// missing object to ErrNotFound, an outage to ErrBlobsUnavailable.
func (s *Store) wrap(op, key string, err error) error {
	resp := mc.ToErrorResponse(err)
	if resp.Code == "NoSuchKey" || resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("minio: %s %s: %w", op, key, origin.ErrNotFound)
	}
	return fmt.Errorf("minio: %s %s: %w", op, key, outage(s.client, err))
}

// object maps the errors of a lazily fetched object to origin sentinels.
type object struct {
	*mc.Object
	store *Store
	key   string
}

func (o *object) Read(p []byte) (int, error) {
	n, err := o.Object.Read(p)
	if err != nil && err != io.EOF {
		err = o.store.wrap("read", o.key, err)
	}
	return n, err
}

func (o *object) Seek(offset int64, whence int) (int64, error) {
	n, err := o.Object.Seek(offset, whence)
	if err != nil {
		err = o.store.wrap("seek", o.key, err)
	}
	return n, err
}
