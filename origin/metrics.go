package origin

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"pixcdn/contract"
)

// metrics are the origin's Prometheus series (names are a contract).
type metrics struct {
	uploads  *prometheus.CounterVec   // pixcdn_uploads_total{result}
	events   *prometheus.CounterVec   // pixcdn_events_total{kind}
	requests *prometheus.CounterVec   // pixcdn_origin_requests_total{route,code}
	duration *prometheus.HistogramVec // pixcdn_origin_request_duration_seconds{route}
	pushes   *prometheus.CounterVec   // pixcdn_origin_pushes_total{result}
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		uploads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pixcdn_uploads_total", Help: "Image ingestions by result.",
		}, []string{"result"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pixcdn_events_total", Help: "Invalidation events committed by this process, by kind.",
		}, []string{"kind"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pixcdn_origin_requests_total", Help: "Origin API requests by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "pixcdn_origin_request_duration_seconds", Help: "Origin API request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"route"}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pixcdn_origin_pushes_total", Help: "Event pushes to edges' /_purge by result (ok, retry, dropped, failed).",
		}, []string{"result"}),
	}
	for _, c := range []prometheus.Collector{m.uploads, m.events, m.requests, m.duration, m.pushes} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// uploadResult names an ingestion outcome for pixcdn_uploads_total.
func uploadResult(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrUnsupportedType):
		return "unsupported"
	case errors.Is(err, ErrTooManyPixels):
		return "too_many_pixels"
	case errors.Is(err, ErrUndecodable):
		return "undecodable"
	case errors.Is(err, ErrPreconditionFailed):
		return "precondition_failed"
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrNotFound):
		return "invalid"
	}
	return "error"
}

func (m *metrics) upload(err error) { m.uploads.WithLabelValues(uploadResult(err)).Inc() }

func (m *metrics) event(kind contract.EventKind) {
	if kind != "" {
		m.events.WithLabelValues(string(kind)).Inc()
	}
}
