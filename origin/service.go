package origin

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"pixcdn/contract"
)

// Service is the origin domain: ingestion, image management, tenants and
// keys, originals and the event feed, over a Catalog and Blobs. It is safe
// for concurrent use and owns no goroutines.
type Service struct {
	cfg      Config
	catalog  Catalog
	blobs    Blobs
	keys     *keyCache
	feed     *feed
	metrics  *metrics
	policies policyCache
	gatherer prometheus.Gatherer // serves /metrics by default
	onCommit atomic.Pointer[func(contract.Event)]
}

// New returns a Service. reg receives the origin's metrics (nil: a
// private registry, as tests want); when reg is also a Gatherer (a
// *prometheus.Registry), the default /metrics serves it.
func New(cfg Config, catalog Catalog, blobs Blobs, reg prometheus.Registerer) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if catalog == nil || blobs == nil {
		return nil, fmt.Errorf("origin: %w: catalog and blobs are required", ErrInvalid)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	gatherer, ok := reg.(prometheus.Gatherer)
	if !ok {
		gatherer = prometheus.DefaultGatherer
	}
	return &Service{
		cfg: cfg, catalog: catalog, blobs: blobs, gatherer: gatherer,
		keys:    newKeyCache(catalog, cfg.KeyCacheTTL),
		feed:    newFeed(),
		metrics: m,
	}, nil
}

// Config returns the service's configuration.
func (s *Service) Config() Config { return s.cfg }

// EventsChanged wakes every waiting feed reader. The catalog's notifier
// calls it when new events are sequenced (LISTEN/NOTIFY). Never blocks.
func (s *Service) EventsChanged() { s.feed.wake() }

// Ready reports whether the catalog and the blob store answer.
func (s *Service) Ready(ctx context.Context) error {
	if err := s.catalog.Ping(ctx); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if err := s.blobs.Ping(ctx); err != nil {
		return fmt.Errorf("blobs: %w", err)
	}
	return nil
}
