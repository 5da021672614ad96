package edge

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"pixcdn/edge/imgurl"
	"pixcdn/edge/peer"
	"pixcdn/transform"
)

// fakeSizedJPEG is fakeJPEG with a frame header of w×h.
func fakeSizedJPEG(name string, w, h int) string {
	var b bytes.Buffer
	b.WriteString("\xff\xd8\xff\xfe")
	binary.Write(&b, binary.BigEndian, uint16(len(name)+2))
	b.WriteString(name)
	b.WriteString("\xff\xc0\x00\x0b\x08")
	binary.Write(&b, binary.BigEndian, uint16(h))
	binary.Write(&b, binary.BigEndian, uint16(w))
	b.WriteString("\x01\x01\x11\x00")
	return b.String()
}

// fakeMasterCodec is fakeCodec with masters: a master is a fake JPEG
// named after the CRC of its source; a variant fits when its w is within
// the master's width; a variant from a master is named "from master".
type fakeMasterCodec struct {
	*fakeCodec
	made, fromMaster atomic.Int64
	// busy refuses background work, as a busy processor does.
	busy atomic.Bool
}

func masterName(src []byte) string { return fmt.Sprintf("MASTER-%08x", crc32.ChecksumIEEE(src)) }

func (c *fakeMasterCodec) MakeMaster(ctx context.Context, source transform.Source, bound int) (Rendered, transform.Size, error) {
	if c.busy.Load() && transform.IsBackground(ctx) {
		return Rendered{}, transform.Size{}, transform.ErrOverloaded
	}
	src, m := source.Bytes(), source.Meta()
	if m.Width <= bound {
		return Rendered{}, transform.Size{}, transform.ErrNoMaster
	}
	c.made.Add(1)
	size := transform.Size{W: bound, H: m.Height * bound / m.Width}
	return Rendered{Body: []byte(fakeSizedJPEG(masterName(src), size.W, size.H)), ContentType: "image/jpeg", Format: "jpeg"}, size, nil
}

func (c *fakeMasterCodec) MasterFits(v Variant, _, master transform.Size) bool {
	w, _ := strconv.Atoi(strings.TrimPrefix(v.Canonical, "w="))
	return w > 0 && w <= master.W
}

func (c *fakeMasterCodec) TransformMaster(ctx context.Context, master transform.Source, orig transform.Size, v Variant, format string) (Rendered, error) {
	c.fromMaster.Add(1)
	out, err := c.Transform(ctx, master, v, format)
	out.Body = append([]byte(fmt.Sprintf("from %d×%d ", orig.W, orig.H)), out.Body...)
	return out, err
}

// withMasters gives a test node the fake master codec.
func withMasters(c *fakeMasterCodec) nodeOption {
	return func(_ *Config, d *Deps) { d.Codec = c }
}

// A variant that fits within the master is made from it, the master made
// once; a larger one, and one of a small original, from the original.
// A purge drops the master with the original; a new version of the
// original makes a new master (the old one no longer matches its ETag).
func TestMastersAreMadeOnceAndDroppedWithTheOriginal(t *testing.T) {
	mc := &fakeMasterCodec{fakeCodec: &fakeCodec{}}
	n := newTestNode(t, withMasters(mc))
	v1 := fakeSizedJPEG("BIG-1", 4000, 3000)
	n.origin.put("acme", "big.jpg", Original{Body: []byte(v1), ETag: `"v1"`, CacheControl: "public, max-age=600", Visibility: "public", Version: 1})
	get := func(query string) string {
		t.Helper()
		r := n.get("/acme/big.jpg?"+query, "Accept", "image/webp")
		if r.code != 200 {
			t.Fatalf("%s: %d %q", query, r.code, r.body)
		}
		return r.body
	}
	if body := get("w=400"); !strings.HasPrefix(body, "from 4000×3000 ") || !strings.Contains(body, masterName([]byte(v1))) {
		t.Fatalf("w=400 not made from the master: %q", body)
	}
	if body := get("w=2048"); !strings.Contains(body, masterName([]byte(v1))) {
		t.Fatalf("w=2048 (the master's width) not made from the master: %q", body)
	}
	if body := get("w=2049"); strings.HasPrefix(body, "from ") || !strings.Contains(body, "BIG-1") {
		t.Fatalf("w=2049 (larger than the master) not made from the original: %q", body)
	}
	if r := n.get("/acme/cat.jpg?w=1"); r.code != 200 || strings.HasPrefix(r.body, "from ") {
		t.Fatalf("small original: %d %q, want it made from itself", r.code, r.body)
	}
	if mc.made.Load() != 1 || counterValue(t, n.srv.metrics.masters) != 1 {
		t.Fatalf("masters made %d (metric %v), want 1", mc.made.Load(), counterValue(t, n.srv.metrics.masters))
	}
	if got := counterValue(t, n.srv.metrics.transformSources.WithLabelValues("master")); got != 2 {
		t.Fatalf("transforms from masters = %v, want 2", got)
	}

	masterKey := imgurl.MasterKey("acme", "big.jpg")
	n.srv.applyPurge(&PurgeRequest{Tenant: "acme", IDs: []string{"big.jpg"}}, "test")
	if _, ok := n.cache.Get(masterKey); ok {
		t.Fatal("the master survived a purge of its original")
	}
	get("w=401")
	if mc.made.Load() != 2 {
		t.Fatalf("after the purge: masters made %d, want 2", mc.made.Load())
	}

	// A new version: the original is fetched anew (here: dropped from the
	// cache without a purge, as when it expires); the old master does not
	// match its ETag and is replaced.
	v2 := fakeSizedJPEG("BIG-2", 4000, 3000)
	n.origin.put("acme", "big.jpg", Original{Body: []byte(v2), ETag: `"v2"`, CacheControl: "public, max-age=600", Visibility: "public", Version: 2})
	n.cache.Delete(imgurl.OriginalKey("acme", "big.jpg"))
	if body := get("w=402"); !strings.Contains(body, masterName([]byte(v2))) {
		t.Fatalf("new version made from the old master: %q", body)
	}
	if m, ok := n.cache.Get(masterKey); !ok || m.OriginETag != `"v2"` || m.Image.Version != 2 {
		t.Fatalf("master after the new version: %v %q v%d", ok, m.OriginETag, m.Image.Version)
	}
}

// splitRing gives originals to one node and everything else to another.
type splitRing struct {
	originals, variants Peer
	self                string
}

func (r splitRing) Owner(key []byte) (Peer, bool) {
	p := r.variants
	if bytes.HasPrefix(key, []byte("o1|")) {
		p = r.originals
	}
	return p, p.Name == r.self
}
func (r splitRing) Members() []Peer { return []Peer{r.originals, r.variants} }

// The original's owner makes the master and sends it, with both sizes,
// to the variant's owner instead of the original when the variant fits.
func TestMastersGoToVariantOwners(t *testing.T) {
	mn := &memNet{lns: map[string]interface{ Dial() (net.Conn, error) }{}}
	client := func(name string) *peer.Client { return memPeerClient(t, mn, name) }
	ring := splitRing{originals: Peer{Name: "o", InternalAddr: "o:9"}, variants: Peer{Name: "v", InternalAddr: "v:9"}}
	oc, vc := &fakeMasterCodec{fakeCodec: &fakeCodec{}}, &fakeMasterCodec{fakeCodec: &fakeCodec{}}
	ringFor := func(self string) splitRing { r := ring; r.self = self; return r }
	o := newTestNode(t, withMasters(oc), func(_ *Config, d *Deps) { d.Ring, d.Peers = ringFor("o"), client("o") })
	v := newTestNode(t, withMasters(vc), func(_ *Config, d *Deps) { d.Ring, d.Peers, d.Origin = ringFor("v"), client("v"), o.origin })
	mn.lns["o:9"], mn.lns["v:9"] = o.internal, v.internal
	big := fakeSizedJPEG("BIG", 3000, 2000)
	o.origin.put("acme", "big.jpg", Original{Body: []byte(big), ETag: `"b"`, CacheControl: "public, max-age=600", Visibility: "public"})

	r := v.get("/acme/big.jpg?w=300", "Accept", "image/webp")
	if r.code != 200 || r.h("X-Cache") != "MISS" || r.body != "from 3000×2000 "+fakeSizedJPEG(masterName([]byte(big)), 2048, 1365)+"|w=300|webp" {
		t.Fatalf("variant owner: %d %s %q", r.code, r.h("X-Cache"), r.body)
	}
	r = v.get("/acme/big.jpg?w=2500", "Accept", "image/webp")
	if r.code != 200 || r.body != big+"|w=2500|webp" {
		t.Fatalf("variant larger than the master: %d %q, want it from the original", r.code, r.body)
	}
	if oc.made.Load() != 1 || vc.made.Load() != 0 || vc.fromMaster.Load() != 1 || oc.transforms.Load() != 0 {
		t.Fatalf("masters made by o %d, v %d; v from master %d; o transforms %d", oc.made.Load(), vc.made.Load(), vc.fromMaster.Load(), oc.transforms.Load())
	}
}
