package edge

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"pixcdn/transform"
)

// memCache is a map-backed Cache with generation-guarded fills.
type memCache struct {
	mu      sync.Mutex
	entries map[string]Entry
	gen     int
}

func newMemCache() *memCache { return &memCache{entries: map[string]Entry{}} }

func (c *memCache) Get(key []byte) (Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[string(key)]
	return e, ok
}
func (c *memCache) Guard(ImageRef) Guard { c.mu.Lock(); defer c.mu.Unlock(); return c.gen }
func (c *memCache) Set(key []byte, e Entry, g Guard) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g.(int) == c.gen {
		c.entries[string(key)] = e
	}
}
func (c *memCache) Delete(key []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, string(key))
}
func (c *memCache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{MemoryEntries: int64(len(c.entries))}
}
func (c *memCache) Purge(p Purge) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.entries {
		if purgeCovers(p, &e.Image) { // the fake selects exactly as the hot copies do
			delete(c.entries, k)
		}
	}
}

// selfRing owns every key.
type selfRing struct{}

func (selfRing) Owner([]byte) (Peer, bool) { return Peer{Name: "self"}, true }
func (selfRing) Members() []Peer           { return []Peer{{Name: "self", Share: 1}} }

// fakeOrigin serves images from a map and counts fetches.
type fakeOrigin struct {
	mu      sync.Mutex
	images  map[string]Original // tenant/id → original
	fetches atomic.Int64
	fail    atomic.Bool
	delay   time.Duration
}

func newFakeOrigin() *fakeOrigin { return &fakeOrigin{images: map[string]Original{}} }

func (o *fakeOrigin) put(tenant, id string, img Original) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.images[tenant+"/"+id] = img
}

func (o *fakeOrigin) Fetch(ctx context.Context, tenant, id, inm string) (Original, error) {
	o.fetches.Add(1)
	if o.delay > 0 {
		select {
		case <-time.After(o.delay):
		case <-ctx.Done():
			return Original{}, fmt.Errorf("%w: %w", ErrOriginTimeout, ctx.Err())
		}
	}
	if o.fail.Load() {
		return Original{}, fmt.Errorf("%w: connection refused", ErrOrigin)
	}
	o.mu.Lock()
	img, ok := o.images[tenant+"/"+id]
	o.mu.Unlock()
	if !ok {
		return Original{}, ErrNotFound
	}
	if inm != "" && inm == img.ETag {
		return Original{ETag: img.ETag, CacheControl: img.CacheControl, NotModified: true}, nil
	}
	return img, nil
}

// fakeCodec understands w, h, dpr (folded into w and h), q and
// fm; it "transforms" by naming the variant.
type fakeCodec struct {
	transforms atomic.Int64
	overloaded atomic.Bool
	fail       atomic.Pointer[error] // when set, Transform returns it
}

func (c *fakeCodec) Parse(query string) (Variant, error) {
	vals, err := url.ParseQuery(query)
	if err != nil {
		return Variant{}, fmt.Errorf("%w: bad query", ErrInvalidOption)
	}
	v := Variant{Format: "auto", Original: len(vals) == 0}
	dpr := 1.0
	if x := vals.Get("dpr"); x != "" {
		if dpr, err = strconv.ParseFloat(x, 64); err != nil || dpr < 1 {
			return Variant{}, fmt.Errorf("%w: dpr: must be a number from 1", ErrInvalidOption)
		}
	}
	ints := map[string]int{}
	for _, k := range []string{"h", "w", "q"} {
		if x := vals.Get(k); x != "" {
			n, err := strconv.Atoi(x)
			if err != nil || n < 1 {
				return Variant{}, fmt.Errorf("%w: %s: must be an integer", ErrInvalidOption, k)
			}
			ints[k] = n
		}
	}
	var canon []string
	for _, k := range []string{"h", "w", "q"} {
		if n := ints[k]; n > 0 {
			if k != "q" {
				n = int(float64(n)*dpr + 0.5)
			}
			canon = append(canon, k+"="+strconv.Itoa(n))
		}
	}
	if fm := vals.Get("fm"); fm != "" {
		v.Format = fm
	}
	for k := range vals {
		if k != "w" && k != "h" && k != "fm" && k != "dpr" && k != "q" {
			return Variant{}, fmt.Errorf("%w: %s: unknown option", ErrInvalidOption, k)
		}
	}
	v.Canonical = strings.Join(canon, "&")
	return v, nil
}

func (c *fakeCodec) Negotiate(accept string) string {
	if strings.Contains(accept, "image/webp") {
		return "webp"
	}
	return "jpeg"
}

func (c *fakeCodec) Transform(ctx context.Context, src transform.Source, v Variant, format string) (Rendered, error) {
	if c.overloaded.Load() {
		return Rendered{}, ErrOverloaded
	}
	if err := c.fail.Load(); err != nil {
		return Rendered{}, *err
	}
	c.transforms.Add(1)
	body := []byte(fmt.Sprintf("%s|%s|%s", src.Bytes(), v.Canonical, format))
	return Rendered{Body: body, ContentType: "image/" + format, Format: format}, nil
}

// memNet dials in-memory listeners by address.
type memNet struct {
	mu  sync.Mutex
	lns map[string]interface{ Dial() (net.Conn, error) }
}

func (m *memNet) dial(addr string) (net.Conn, error) {
	m.mu.Lock()
	ln, ok := m.lns[addr]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("memnet: no listener at %s", addr)
	}
	return ln.Dial()
}
