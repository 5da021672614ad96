package origin_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"pixcdn/origin/client"
)

// TestClientAgainstOrigin checks origin/client against the real origin:
// the contract the edge relies on.
func TestClientAgainstOrigin(t *testing.T) {
	h := newHarness(t)
	_, editor, _ := h.tenant("acme")
	edgeKey := h.systemKey("edge")
	body := jpegImage(t, 30, 20, 7)
	h.mustDo(http.StatusCreated, "PUT", "/v1/acme/images/dir/a b.jpg?tags=x,y&visibility=signed", editor, bytes.NewReader(body))
	c, err := client.New(client.Config{BaseURL: h.srv.URL, Key: edgeKey, Timeout: 5 * time.Second, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	o, err := c.FetchOriginal(ctx, "acme", "dir/a b.jpg", "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(o.Body, body) || o.ContentType != "image/jpeg" || o.Version != 1 || o.Visibility != "signed" ||
		strings.Join(o.Tags, ",") != "x,y" || o.LastModified.IsZero() || !strings.HasPrefix(o.CacheControl, "public") || len(o.ETag) != 66 {
		t.Fatalf("original %+v (body %d bytes)", o, len(o.Body))
	}
	nm, err := c.FetchOriginal(ctx, "acme", "dir/a b.jpg", o.ETag)
	if err != nil || !nm.NotModified || nm.Body != nil || nm.ETag != o.ETag || nm.Version != 1 {
		t.Fatalf("conditional fetch: %+v, %v", nm, err)
	}
	if _, err := c.FetchOriginal(ctx, "acme", "nope.jpg", ""); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("missing original: %v", err)
	}
	small, _ := client.New(client.Config{BaseURL: h.srv.URL, Key: edgeKey, Timeout: 5 * time.Second, MaxBytes: 100})
	if _, err := small.FetchOriginal(ctx, "acme", "dir/a b.jpg", ""); !errors.Is(err, client.ErrTooLarge) {
		t.Errorf("capped fetch: %v", err)
	}
	bad, _ := client.New(client.Config{BaseURL: h.srv.URL, Key: "pk_wrong", Timeout: 5 * time.Second, MaxBytes: 100})
	if _, err := bad.FetchOriginal(ctx, "acme", "dir/a b.jpg", ""); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := bad.Events(ctx, 0, 0); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("events with a wrong key: %v", err)
	}
	evs, err := c.Events(ctx, 0, 10*time.Second)
	if err != nil || len(evs) != 1 || evs[0].PublicID != "dir/a b.jpg" {
		t.Fatalf("events: %+v, %v", evs, err)
	}
}

func TestHealthReadyAndMetrics(t *testing.T) {
	h := newHarness(t)
	_, editor, _ := h.tenant("acme")
	h.mustDo(http.StatusOK, "GET", "/healthz", "", nil)
	h.mustDo(http.StatusOK, "GET", "/readyz", "", nil)
	h.mustDo(http.StatusCreated, "PUT", "/v1/acme/images/a.png", editor, bytes.NewReader(pngImage(t, 2, 2, 1)))
	h.mustDo(http.StatusUnsupportedMediaType, "PUT", "/v1/acme/images/b.png", editor, strings.NewReader("nope"))
	_, b := h.mustDo(http.StatusOK, "GET", "/metrics", "", nil)
	for _, want := range []string{
		`pixcdn_uploads_total{result="ok"} 1`,
		`pixcdn_uploads_total{result="unsupported"} 1`,
		`pixcdn_events_total{kind="updated"} 1`,
		`pixcdn_origin_requests_total{code="201",route="put_image"} 1`,
		`pixcdn_origin_request_duration_seconds_count{route="put_image"} 2`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
