package edge

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"pixcdn/edge/imgurl"
)

// A signed URL with an expiry is served until then and refused with 403
// from then on, also when the edge has already served (and memoised) it;
// refusing it fetches and transforms nothing.
func TestExpiredSignedURLIsForbidden(t *testing.T) {
	key := []byte("0123456789abcdef-sign-key")
	start := time.Unix(1_800_000_000, 0)
	var now atomic.Int64
	now.Store(start.Unix())
	n := newTestNode(t, func(c *Config, _ *Deps) {
		c.URL.SignKeys = [][]byte{key}
		c.URL.Now = func() time.Time { return time.Unix(now.Load(), 0) }
	})
	signed := imgurl.SignURLUntil(key, "/acme/cat.jpg", "w=20&fm=png", start.Add(time.Minute))
	for i := range 2 {
		if r := n.get(signed); r.code != 200 {
			t.Fatalf("before expiry, request %d: %d %q", i, r.code, r.body)
		}
	}
	now.Store(start.Add(time.Minute).Unix())
	if r := n.get(signed); r.code != 403 {
		t.Fatalf("at expiry: %d %q; want 403", r.code, r.body)
	}
	fetches, transforms := n.origin.fetches.Load(), n.codec.transforms.Load()
	for w := 1; w <= 5; w++ {
		expired := imgurl.SignURLUntil(key, "/acme/cat.jpg", fmt.Sprintf("w=%d", w), start.Add(-time.Second))
		if r := n.get(expired); r.code != 403 {
			t.Fatalf("expired w=%d: %d %q; want 403", w, r.code, r.body)
		}
	}
	if f, tr := n.origin.fetches.Load(), n.codec.transforms.Load(); f != fetches || tr != transforms {
		t.Fatalf("expired URLs caused %d origin fetches and %d transforms; want none", f-fetches, tr-transforms)
	}
}
