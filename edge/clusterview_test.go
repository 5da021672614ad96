package edge

import (
	"encoding/json"
	"strings"
	"testing"

	"pixcdn/edge/internalport"
)

// membersRing owns every key itself and lists members.
type membersRing []Peer

func (r membersRing) Owner([]byte) (Peer, bool) { return r[0], true }
func (r membersRing) Members() []Peer           { return r }

func decodeView(t *testing.T, r result) ClusterView {
	t.Helper()
	if r.code != 200 || r.h("Content-Type") != "application/json" {
		t.Fatalf("cluster view: %d %q %q", r.code, r.h("Content-Type"), r.body)
	}
	var v ClusterView
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("cluster view %q: %v", r.body, err)
	}
	return v
}

// TestClusterStatusCarriesTheNodesCounters: /_cluster's JSON has this
// node's request counters by cache result, transforms and purge lag.
func TestClusterStatusCarriesTheNodesCounters(t *testing.T) {
	n := newTestNode(t)
	n.get("/acme/cat.jpg?w=1&fm=png")
	n.get("/acme/cat.jpg?w=1&fm=png")
	auth := []string{"Authorization", "Bearer purge-token"}
	if r := n.internalDo("POST", "/_purge", `{"tenant":"acme","ids":["x"],"at":"2020-01-01T00:00:00Z"}`, auth...); r.code != 200 {
		t.Fatalf("purge: %d", r.code)
	}
	r := n.internalDo("GET", "/_cluster", "")
	var st ClusterStatus
	if err := json.Unmarshal([]byte(r.body), &st); err != nil || r.h("Cache-Control") != "no-store" {
		t.Fatalf("/_cluster %q (%v), Cache-Control %q", r.body, err, r.h("Cache-Control"))
	}
	s := st.Stats
	if s.Requests["miss"] != 1 || s.Requests["hit"] != 1 || s.Transforms != 1 || s.PurgesApplied != 1 || s.PurgeLagSecondsSum <= 0 || s.AtUnixMillis == 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestClusterViewReadsEveryMember: ?scope=cluster on node a lists a's own
// status and b's, read over the peer client, and names a member that does
// not answer with its error.
func TestClusterViewReadsEveryMember(t *testing.T) {
	a, b := twoNodes(t)
	b.get("/acme/cat.jpg?w=3&fm=png")
	a.srv.deps.Ring = membersRing{{Name: "edge", InternalAddr: "a:9"}, {Name: "b", InternalAddr: "b:9"}, {Name: "c", InternalAddr: "c:9"}}
	v := decodeView(t, a.internalDo("GET", "/_cluster?scope=cluster", ""))
	if v.Node != "edge" || len(v.Members) != 3 || len(v.Nodes) != 3 {
		t.Fatalf("view %+v", v)
	}
	self, peer, gone := v.Nodes[0], v.Nodes[1], v.Nodes[2]
	if self.Name != "edge" || self.Status == nil || self.Status.Stats.Requests == nil {
		t.Errorf("own status: %+v", self)
	}
	if peer.Name != "b" || peer.Status == nil || peer.Status.Stats.Requests["miss"] != 1 || peer.Status.Stats.Transforms != 1 {
		t.Errorf("b's status: %+v", peer)
	}
	if gone.Name != "c" || gone.Status != nil || !strings.Contains(gone.Error, "c:9") {
		t.Errorf("unreachable member: %+v", gone)
	}
}

// TestLoneNodeClusterViewListsItself: a node without peers, whose ring
// does not list it under its name, still shows itself.
func TestLoneNodeClusterViewListsItself(t *testing.T) {
	n := newTestNode(t)
	v := decodeView(t, n.internalDo("GET", "/_cluster?scope=cluster", ""))
	if len(v.Nodes) != 2 || v.Nodes[0].Name != "edge" || v.Nodes[0].Status == nil || v.Nodes[1].Error == "" {
		t.Errorf("lone view %+v", v)
	}
}

// TestClusterPageRunsOnlyItsOwnScript: the page and its files come with a
// CSP that allows scripts, styles and fetches from the node only; the page
// has no inline script; anything else under /_cluster/ is 404.
func TestClusterPageRunsOnlyItsOwnScript(t *testing.T) {
	n := newTestNode(t)
	page := n.internalDo("GET", "/_cluster", "", "Accept", "text/html,application/xhtml+xml")
	if page.code != 200 || page.h("Content-Type") != "text/html; charset=utf-8" || page.h("Content-Security-Policy") != internalport.ClusterPageCSP {
		t.Fatalf("page: %d %q %q", page.code, page.h("Content-Type"), page.h("Content-Security-Policy"))
	}
	if !strings.Contains(page.body, `<script src="/_cluster/cluster.js" defer></script>`) || strings.Count(page.body, "<script") != 1 {
		t.Errorf("page scripts: %s", page.body)
	}
	if r := n.internalDo("GET", "/_cluster?format=html", ""); r.body != page.body {
		t.Errorf("?format=html serves another body")
	}
	for path, ct := range map[string]string{"/_cluster/cluster.js": "text/javascript; charset=utf-8", "/_cluster/cluster.css": "text/css; charset=utf-8"} {
		r := n.internalDo("GET", path, "")
		if r.code != 200 || r.h("Content-Type") != ct || r.h("Content-Security-Policy") != internalport.ClusterPageCSP || r.h("X-Content-Type-Options") != "nosniff" || len(r.body) < 100 {
			t.Errorf("%s: %d %q %q", path, r.code, r.h("Content-Type"), r.h("Content-Security-Policy"))
		}
	}
	for _, path := range []string{"/_cluster/index.html", "/_cluster/x.js", "/_cluster/clusterpage/cluster.js"} {
		if r := n.internalDo("GET", path, ""); r.code != 404 {
			t.Errorf("%s: %d, want 404", path, r.code)
		}
	}
}
