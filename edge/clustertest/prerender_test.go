package clustertest

import (
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

// chromiumAccept is the Accept of Chromium's image requests: pre-rendered
// negotiated presets are made for it.
const chromiumAccept = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"

// TestUploadedImageIsPreparedBeforeItsFirstRequest: real origin
// (PostgreSQL, MinIO) and two edges with masters and --prerender. An
// image uploaded through the origin is announced on the event feed; its
// original's owner makes its master and the thumb preset's owner renders
// thumb in the background. The first browser request for a new width is
// made from the master made before it (no master is made for it), and the
// first request for the preset is answered without a transform.
func TestUploadedImageIsPreparedBeforeItsFirstRequest(t *testing.T) {
	origin := testenv.StartOriginStack(t)
	origin.CreateTenant(t, "acme")
	c := testenv.StartEdgeCluster(t, testenv.EdgeClusterConfig{Nodes: 2, Origin: origin.URL,
		Args: []string{"--origin-key", origin.EdgeKey(t), "--preset", "thumb:w=160&h=160&fit=cover", "--prerender", "thumb"}})
	origin.Put(t, "acme", "big.jpg", gradientJPEG(t, 3000, 2000, 40))

	deadline := time.Now().Add(60 * time.Second)
	for c.Sum(t, "pixcdn_masters_total", `result="made"`) < 1 || c.Sum(t, "pixcdn_prerenders_total", `kind="preset"`, `result="done"`) < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("not prepared within 60 s: masters made %v, prerenders %v",
				c.Sum(t, "pixcdn_masters_total", `result="made"`), c.Sum(t, "pixcdn_prerenders_total", `kind="preset"`))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if made := c.Sum(t, "pixcdn_masters_total", `result="made"`); made != 1 {
		t.Fatalf("%v masters made, want 1 for the cluster", made)
	}
	transforms := c.Sum(t, "pixcdn_transforms_total")

	if a := getAccept(c.Nodes[0].URL("/acme/big.jpg?p=thumb"), chromiumAccept); a.code != 200 || a.err != nil {
		t.Fatalf("thumb: %d %v", a.code, a.err)
	}
	if after := c.Sum(t, "pixcdn_transforms_total"); after != transforms {
		t.Fatalf("the pre-rendered thumb was transformed again (%v → %v transforms)", transforms, after)
	}
	// An explicit format: a negotiated AVIF would also start a background
	// render (format budgets), a second transform from the master that may
	// or may not have finished when the counter is read.
	fromMaster := c.Sum(t, "pixcdn_transform_sources_total", `source="master"`)
	if a := getAccept(c.Nodes[1].URL("/acme/big.jpg?w=640&fm=webp"), chromiumAccept); a.code != 200 || a.err != nil {
		t.Fatalf("w=640: %d %v", a.code, a.err)
	}
	if got := c.Sum(t, "pixcdn_transform_sources_total", `source="master"`); got != fromMaster+1 {
		t.Fatalf("the first request for w=640 was not made from a master (%v → %v)", fromMaster, got)
	}
	if made := c.Sum(t, "pixcdn_masters_total", `result="made"`); made != 1 {
		t.Fatalf("%v masters made after the first request, want the 1 made before it", made)
	}
}
