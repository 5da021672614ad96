package edge

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// The live cluster page (package internalport) polls GET /_cluster?scope=cluster
// on the node it was opened on. Each node's own /_cluster JSON carries its
// cumulative counters (NodeStats); for the cluster view the node fetches
// every other member's /_cluster over the peer client (with the cluster
// secret), in parallel and briefly, and returns them side by side; the page
// turns counters into rates from two successive answers. No node keeps
// history, and a member that does not answer is shown with its error.

// NodeStats are a node's cumulative counters, read from its metrics.
type NodeStats struct {
	// AtUnixMillis is when they were read (the node's clock).
	AtUnixMillis int64 `json:"at_unix_ms"`
	// Requests are public requests by cache result ("hit", "miss",
	// "stale", "revalidated", "peer", "none"): pixcdn_requests_total.
	Requests map[string]float64 `json:"requests"`
	// Transforms is pixcdn_transforms_total over every format.
	Transforms float64 `json:"transforms"`
	// PurgesApplied and PurgeLagSecondsSum are the count and sum of
	// pixcdn_purge_lag_seconds over every path.
	PurgesApplied      float64 `json:"purges_applied"`
	PurgeLagSecondsSum float64 `json:"purge_lag_seconds_sum"`
}

// nodeStats reads this node's counters at now.
func (s *Server) nodeStats(now time.Time) NodeStats {
	st := NodeStats{AtUnixMillis: now.UnixMilli(), Requests: map[string]float64{}}
	families, err := s.metrics.reg.Gather()
	if err != nil {
		s.log.Warn("cluster stats: gathering metrics", "err", err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			switch f.GetName() {
			case "pixcdn_requests_total":
				for _, l := range m.GetLabel() {
					if l.GetName() == "cache" {
						st.Requests[l.GetValue()] += m.GetCounter().GetValue()
					}
				}
			case "pixcdn_transforms_total":
				st.Transforms += m.GetCounter().GetValue()
			case "pixcdn_purge_lag_seconds":
				st.PurgesApplied += float64(m.GetHistogram().GetSampleCount())
				st.PurgeLagSecondsSum += m.GetHistogram().GetSampleSum()
			}
		}
	}
	return st
}

// ClusterView is the JSON of GET /_cluster?scope=cluster: the ring as this
// node sees it and every member's own status.
type ClusterView struct {
	Node        string     `json:"node"`
	RingVersion uint64     `json:"ring_version"`
	Members     []Peer     `json:"members"`
	Nodes       []NodeView `json:"nodes"`
}

// NodeView is one member's status, or why it could not be read.
type NodeView struct {
	Name   string         `json:"name"`
	Status *ClusterStatus `json:"status,omitempty"`
	Error  string         `json:"error,omitempty"`
}

// Bounds of the cluster view: how long a member may take to answer, and
// how long one view is reused, so several open pages (or a reload loop)
// cost the members one fetch each per period.
const (
	clusterViewTimeout = time.Second
	clusterViewReuse   = 500 * time.Millisecond
)

// clusterViewCache keeps the last cluster view for clusterViewReuse.
type clusterViewCache struct {
	mu   sync.Mutex // held while a view is built: one build at a time
	at   time.Time
	view []byte
}

// clusterView returns the JSON of the cluster view, built at most once per
// clusterViewReuse.
func (s *Server) clusterView() []byte {
	c := &s.clusterViews
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.view != nil && time.Since(c.at) < clusterViewReuse {
		return c.view
	}
	b, _ := json.Marshal(s.buildClusterView()) // plain fields: cannot fail
	c.view, c.at = b, time.Now()
	return b
}

func (s *Server) buildClusterView() ClusterView {
	self := s.clusterStatus()
	v := ClusterView{Node: self.Node, RingVersion: self.RingVersion, Members: self.Members}
	fetcher, _ := s.deps.Peers.(StatusFetcher)
	v.Nodes = make([]NodeView, len(self.Members))
	hasSelf := false
	var wg sync.WaitGroup
	for i, m := range self.Members {
		v.Nodes[i].Name = m.Name
		switch {
		case m.Name == self.Node:
			v.Nodes[i].Status, hasSelf = &self, true
		case fetcher == nil:
			v.Nodes[i].Error = "no peer client"
		default:
			wg.Add(1)
			go func() {
				defer wg.Done()
				v.Nodes[i].Status, v.Nodes[i].Error = s.memberStatus(fetcher, m.InternalAddr)
			}()
		}
	}
	wg.Wait()
	if !hasSelf {
		v.Nodes = append([]NodeView{{Name: self.Node, Status: &self}}, v.Nodes...)
	}
	return v
}

// memberStatus reads the member at addr's /_cluster JSON.
func (s *Server) memberStatus(f StatusFetcher, addr string) (*ClusterStatus, string) {
	ctx, cancel := context.WithTimeout(s.ctx, clusterViewTimeout)
	defer cancel()
	b, err := f.FetchStatus(ctx, addr)
	if err != nil {
		return nil, err.Error()
	}
	var st ClusterStatus
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, "unreadable status: " + err.Error()
	}
	return &st, ""
}
