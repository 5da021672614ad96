package uploads

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tus/tusd/v2/pkg/prometheuscollector"
)

// Collector exposes tusd's protocol counters (tusd_requests_total,
// tusd_errors_total, tusd_bytes_received, tusd_uploads_created,
// tusd_uploads_finished, tusd_uploads_terminated) for a Prometheus
// registry. Completed uploads also count in the origin's
// pixcdn_uploads_total, since they go through its ingestion.
func (h *Handler) Collector() prometheus.Collector {
	return prometheuscollector.New(h.tus.Metrics)
}
