package peer

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

const secret = "cluster-secret-0123456789"

func TestAuthorized(t *testing.T) {
	for _, c := range []struct {
		header string
		ok     bool
	}{
		{"Bearer " + secret, true}, {"Bearer " + secret + "x", false}, {"bearer " + secret, false},
		{secret, false}, {"Bearer ", false}, {"", false},
	} {
		var h fasthttp.RequestHeader
		h.Set("Authorization", c.header)
		if got := Authorized(&h, secret); got != c.ok {
			t.Errorf("Authorized(%q) = %v", c.header, got)
		}
	}
	var h fasthttp.RequestHeader
	if Authorized(&h, "") {
		t.Error("empty secret authorizes")
	}
}

// peerServer serves an original through WriteOriginalHeaders and checks
// what the client sent.
func peerServer(t *testing.T) *Client {
	t.Helper()
	ln := fasthttputil.NewInmemoryListener()
	want := Original{
		ETag: `"e"`, ContentType: "image/png", CacheControl: "public, max-age=60", Visibility: "signed",
		LastModified: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Version: 9, Tags: []string{"a", "b"},
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		if !Authorized(&ctx.Request.Header, secret) || !IsHop(&ctx.Request.Header) {
			ctx.SetStatusCode(401)
			return
		}
		switch string(ctx.Request.Header.RequestURI()) {
		case PathOriginal + "/acme/caf%C3%A9/x%20y.png":
			WriteOriginalHeaders(&ctx.Response.Header, &want)
			ctx.SetBodyString("PNG")
		case PathOriginal + "/acme/down.png":
			ctx.SetStatusCode(500)
		default:
			ctx.SetStatusCode(404)
		}
	}}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown() })
	cfg := DefaultConfig()
	cfg.Secret, cfg.Self = secret, "a"
	cfg.Dial = func(string) (net.Conn, error) { return ln.Dial() }
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFetchOriginal(t *testing.T) {
	c := peerServer(t)
	ctx := context.Background()
	o, err := c.FetchOriginal(ctx, "b:1", "acme", "café/x y.png", false, "")
	if err != nil || string(o.Body) != "PNG" || o.ETag != `"e"` || o.Version != 9 || o.Visibility != "signed" ||
		len(o.Tags) != 2 || !o.LastModified.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) || o.ContentType != "image/png" {
		t.Fatalf("original: %+v %v", o, err)
	}
	if _, err := c.FetchOriginal(ctx, "b:1", "acme", "nope.png", false, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := c.FetchOriginal(ctx, "b:1", "acme", "down.png", false, ""); !errors.Is(err, ErrPeer) {
		t.Fatalf("failing peer: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if DefaultConfig().Validate() == nil {
		t.Fatal("config without a secret accepted")
	}
}
