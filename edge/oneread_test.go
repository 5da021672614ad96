package edge

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"pixcdn/edge/imgurl"
	"pixcdn/transform"
)

// missProcessor is a transform.MasterProcessor that makes fake JPEGs: a
// master is the bound wide, a variant 1×1. It checks its inputs as
// transform/libvips does.
type missProcessor struct{}

func (missProcessor) Process(_ context.Context, src []byte, o transform.Options) ([]byte, transform.Meta, error) {
	if err := o.Validate(); err != nil {
		return nil, transform.Meta{}, err
	}
	if _, err := transform.Probe(src); err != nil {
		return nil, transform.Meta{}, err
	}
	return []byte(fakeJPEG("VARIANT")), transform.Meta{Format: o.Format, Width: 1, Height: 1}, nil
}

func (missProcessor) MakeMaster(_ context.Context, src []byte, bound int) ([]byte, transform.Meta, error) {
	m, err := transform.Probe(src)
	if err != nil || max(m.Width, m.Height) <= bound {
		return nil, transform.Meta{}, transform.ErrNoMaster
	}
	h := m.Height * bound / m.Width
	return []byte(fakeSizedJPEG("MASTER", bound, h)), transform.Meta{Format: transform.JPEG, Width: bound, Height: h}, nil
}

func (missProcessor) MasterFits(_, master transform.Size, o transform.Options) bool {
	return o.Validate() == nil && o.Width > 0 && o.Width <= master.W
}

func (p missProcessor) ProcessMaster(ctx context.Context, master []byte, _ transform.Size, o transform.Options) ([]byte, transform.Meta, error) {
	return p.Process(ctx, master, o)
}

// readCountingCache counts the reads of originals' entries.
type readCountingCache struct {
	*memCache
	originalReads atomic.Int64
}

func (c *readCountingCache) Get(key []byte) (Entry, bool) {
	if bytes.HasPrefix(key, imgurl.OriginalKey("", "")[:3]) {
		c.originalReads.Add(1)
	}
	return c.memCache.Get(key)
}

// TestOneReadPerMiss: a cold miss of a variant reads its original's cache
// entry once, whether the URL is signed or not, its format negotiated or
// not, the original (and its master) cached or not, masters on or off.
func TestOneReadPerMiss(t *testing.T) {
	key := []byte("0123456789abcdef0123")
	big := fakeSizedJPEG("BIG", 4000, 3000)
	for _, masters := range []bool{false, true} {
		for _, signed := range []bool{false, true} {
			for _, query := range []string{"w=300&fm=auto", "w=300&fm=webp"} {
				for _, cached := range []string{"nothing", "original", "master"} {
					if cached == "master" && !masters {
						continue
					}
					name := fmt.Sprintf("masters=%v/signed=%v/%s/cached=%s", masters, signed, query, cached)
					t.Run(name, func(t *testing.T) {
						c := &readCountingCache{memCache: newMemCache()}
						n := newTestNode(t, func(cfg *Config, d *Deps) {
							cfg.URL.SignKeys = [][]byte{key}
							if !masters {
								cfg.MasterBound = 0
							}
							d.Cache, d.Codec = c, NewCodec(missProcessor{})
						})
						n.origin.put("acme", "big.jpg", Original{Body: []byte(big), ETag: `"b"`, CacheControl: "public, max-age=600", Visibility: "public", Version: 1})
						if cached != "nothing" {
							n.mustGet("/acme/big.jpg")
						}
						if cached == "master" {
							n.mustGet("/acme/big.jpg?w=250&fm=jpeg")
						}
						uri := "/acme/big.jpg?" + query
						if signed {
							uri = imgurl.SignURL(key, "/acme/big.jpg", query)
						}
						c.originalReads.Store(0)
						n.mustGet(uri, "Accept", "image/webp,*/*")
						if got := c.originalReads.Load(); got != 1 {
							t.Errorf("the original's entry was read %d times", got)
						}
					})
				}
			}
		}
	}
}

// mustGet gets uri and fails the test unless it is answered 200.
func (n *testNode) mustGet(uri string, headers ...string) result {
	n.t.Helper()
	r := n.get(uri, headers...)
	if r.code != 200 {
		n.t.Fatalf("GET %s: %d %s", uri, r.code, r.body)
	}
	return r
}
