package edge

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"pixcdn/edge/imgurl"
	"pixcdn/transform"
)

// missWork counts the work of a miss done at the seams: reads of an
// original's cache entry, probes (by the image probed), option parses,
// and the validations and normalisations a processor does when it is
// handed unchecked input (Process).
type missWork struct {
	originalReads, parses, processorChecks atomic.Int64
	mu                                     sync.Mutex
	probes                                 map[string]int
}

func (w *missWork) probe(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.probes[string(b)]++
}

// missProcessor is a transform.MasterProcessor that makes fake JPEGs (a
// master the bound wide, a variant 1×1), checking unchecked input as
// transform/libvips does, which it counts.
type missProcessor struct{ work *missWork }

func (p missProcessor) Process(ctx context.Context, src []byte, o transform.Options) ([]byte, transform.Meta, error) {
	p.work.processorChecks.Add(1)
	p.work.probe(src)
	c, err := o.Check()
	if err != nil {
		return nil, transform.Meta{}, err
	}
	s, err := transform.NewSource(src)
	if err != nil {
		return nil, transform.Meta{}, err
	}
	return p.ProcessSource(ctx, s, c)
}

func (missProcessor) ProcessSource(_ context.Context, _ transform.Source, o transform.Checked) ([]byte, transform.Meta, error) {
	return []byte(fakeJPEG("VARIANT")), transform.Meta{Format: o.Options().Format, Width: 1, Height: 1}, nil
}

func (missProcessor) MakeMaster(_ context.Context, src transform.Source, bound int) ([]byte, transform.Meta, error) {
	m := src.Meta()
	if max(m.Width, m.Height) <= bound {
		return nil, transform.Meta{}, transform.ErrNoMaster
	}
	h := m.Height * bound / m.Width
	return []byte(fakeSizedJPEG("MASTER", bound, h)), transform.Meta{Format: transform.JPEG, Width: bound, Height: h}, nil
}

func (missProcessor) MasterFits(_, master transform.Size, o transform.Checked) bool {
	return o.Options().Width > 0 && o.Options().Width <= master.W
}

func (p missProcessor) ProcessMaster(ctx context.Context, master transform.Source, _ transform.Size, o transform.Checked) ([]byte, transform.Meta, error) {
	return p.ProcessSource(ctx, master, o)
}

// countingCodec is NewCodec's codec counting option parses. A query
// string it parses counts twice: the URL parser decoded it already.
type countingCodec struct {
	*codec
	work *missWork
}

func (c countingCodec) Parse(query string) (Variant, error) {
	c.work.parses.Add(2)
	return c.codec.Parse(query)
}

func (c countingCodec) ParseValues(vals url.Values) (Variant, error) {
	c.work.parses.Add(1)
	return c.codec.ParseValues(vals)
}

// readCountingCache counts the reads of originals' entries.
type readCountingCache struct {
	*memCache
	work *missWork
}

func (c readCountingCache) Get(key []byte) (Entry, bool) {
	if bytes.HasPrefix(key, imgurl.OriginalKey("", "")[:3]) {
		c.work.originalReads.Add(1)
	}
	return c.memCache.Get(key)
}

// TestOneReadPerMiss: a cold miss of a variant reads its original's cache
// entry once, probes each image it uses once (the original, or the
// master it is made from; both when it makes the master), parses its
// query (the URL parser's decoding, then the codec's reading of the
// values) and validates and normalises its options once, whether the URL is signed
// or not, its format negotiated or not, the original (and its master)
// cached or not, masters on or off.
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
						work := &missWork{probes: map[string]int{}}
						n := newTestNode(t, func(cfg *Config, d *Deps) {
							cfg.URL.SignKeys = [][]byte{key}
							if !masters {
								cfg.MasterBound = 0
							}
							d.Cache = readCountingCache{newMemCache(), work}
							d.Codec = countingCodec{NewCodec(missProcessor{work}).(*codec), work}
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
						*work = missWork{probes: map[string]int{}}
						countProbes(t, work)
						n.mustGet(uri, "Accept", "image/webp,*/*")
						if got := work.originalReads.Load(); got != 1 {
							t.Errorf("the original's entry was read %d times", got)
						}
						if got := work.parses.Load(); got != 1 {
							t.Errorf("the query was parsed %d times", got)
						}
						if got := work.processorChecks.Load(); got != 0 {
							t.Errorf("the processor probed and checked again %d times", got)
						}
						for img, got := range work.probes {
							if got != 1 {
								t.Errorf("%q probed %d times", img[:12], got)
							}
						}
						if len(work.probes) == 0 {
							t.Error("nothing was probed")
						}
					})
				}
			}
		}
	}
}

// countProbes makes the edge's probes count in work until the test ends.
func countProbes(t *testing.T, work *missWork) {
	t.Cleanup(func() { newSource = transform.NewSource })
	newSource = func(b []byte) (transform.Source, error) {
		work.probe(b)
		return transform.NewSource(b)
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
