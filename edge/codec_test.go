package edge

import (
	"context"
	"errors"
	"image"
	"testing"

	"pixcdn/transform"

	"pixcdn/internal/testimage"
)

// echoProcessor records the options it was given and returns fixed bytes.
type echoProcessor struct {
	got transform.Options
	err error
}

func (p *echoProcessor) Process(_ context.Context, src []byte, o transform.Options) ([]byte, transform.Meta, error) {
	p.got = o
	return []byte("out"), transform.Meta{Format: o.Format}, p.err
}

func pngBytes(t *testing.T) []byte { return testimage.PNG(t, image.NewNRGBA(image.Rect(0, 0, 4, 3))) }

// pngSource is pngBytes probed.
func pngSource(t *testing.T) transform.Source {
	src, err := transform.NewSource(pngBytes(t))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestCodecParse(t *testing.T) {
	c := NewCodec(&echoProcessor{})
	a, err1 := c.Parse("w=200&dpr=2&fm=webp")
	b, err2 := c.Parse("fm=webp&w=400")
	if err1 != nil || err2 != nil || a.Canonical != b.Canonical || a.Format != "webp" {
		t.Fatalf("equivalent options: %+v %v / %+v %v", a, err1, b, err2)
	}
	if v, err := c.Parse(""); err != nil || !v.Original {
		t.Fatalf("no options: %+v %v", v, err)
	}
	if v, err := c.Parse("fm=auto"); err != nil || !v.Original {
		t.Fatalf("only defaults: %+v %v", v, err)
	}
	_, err := c.Parse("w=0")
	if !errors.Is(err, ErrInvalidOption) || err.Error() != "w: must be an integer 1..8192" {
		t.Fatalf("bad option: %v", err)
	}
	if code, msg := statusFor(err); code != 400 || msg != "w: must be an integer 1..8192" {
		t.Fatalf("statusFor: %d %q", code, msg)
	}
}

func TestCodecNegotiatesFromAcceptClass(t *testing.T) {
	p := &echoProcessor{}
	c := NewCodec(p)
	chrome := c.Negotiate("image/avif,image/webp,image/apng,*/*;q=0.8")
	if chrome != c.Negotiate("image/webp, image/avif") || chrome == c.Negotiate("*/*") {
		t.Fatalf("classes: %q %q %q", chrome, c.Negotiate("image/webp, image/avif"), c.Negotiate("*/*"))
	}
	v, _ := c.Parse("w=2")
	out, err := c.Transform(context.Background(), pngSource(t), v, chrome)
	if err != nil || p.got.Format != transform.AVIF || !p.got.Accepts.Has(transform.WebP) || out.Format != "avif" {
		t.Fatalf("chrome: %+v %v (opts %+v)", out, err, p.got)
	}
	// An alpha PNG for a client without modern formats stays PNG.
	if _, err := c.Transform(context.Background(), pngSource(t), v, c.Negotiate("")); err != nil || p.got.Format != transform.PNG {
		t.Fatalf("legacy client: %v, format %v", err, p.got.Format)
	}
}

func TestCodecErrorMapping(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
	}{
		{transform.ErrOverloaded, 503}, {transform.ErrUnsupported, 415}, {transform.ErrTooLarge, 413},
		{transform.ErrCorrupt, 422}, {transform.ErrTooManyFrames, 422}, {context.DeadlineExceeded, 504},
	} {
		codec := NewCodec(&echoProcessor{err: c.err})
		v, _ := codec.Parse("w=2&fm=jpeg")
		_, err := codec.Transform(context.Background(), pngSource(t), v, "jpeg")
		if code, _ := statusFor(err); code != c.code {
			t.Errorf("%v → %d, want %d", c.err, code, c.code)
		}
	}
	opts, _ := transform.Options{Width: 1}.Check()
	junk, _ := transform.NewSource([]byte("junk"))
	if _, err := NewCodec(&echoProcessor{}).Transform(context.Background(), junk, Variant{Opts: opts}, "auto:jpeg"); err == nil {
		t.Error("junk source accepted")
	}
}

// TestCodecNegotiatesJXL serves an fm=auto request from Chromium (which
// lists image/jxl first) through the edge with the real codec: with JPEG XL
// first in the order it gets image/jxl and Vary: Accept; fm=jxl always does.
func TestCodecNegotiatesJXL(t *testing.T) {
	const chromium = "image/jxl,image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	for _, c := range []struct {
		order []transform.Format
		want  string
	}{
		{[]transform.Format{transform.JXL, transform.AVIF, transform.WebP}, "image/jxl"},
		{nil, "image/avif"}, // transform.DefaultFormatOrder
	} {
		n := newTestNode(t, func(cfg *Config, d *Deps) {
			d.Codec = NewCodec(&echoProcessor{}, c.order...)
			cfg.FormatBudgets = false // the first answer is the negotiated format, not a cheaper stand-in
		})
		n.origin.put("acme", "dot.png", Original{
			Body: pngBytes(t), ETag: `"png"`, ContentType: "image/png", Version: 1,
			CacheControl: "public, max-age=60", Visibility: "public",
		})
		r := n.get("/acme/dot.png?w=2&fm=auto", "Accept", chromium)
		if r.code != 200 || r.h("Content-Type") != c.want || r.h("Vary") != "Accept" {
			t.Errorf("order %v: %d %q Vary %q, want %s", c.order, r.code, r.h("Content-Type"), r.h("Vary"), c.want)
		}
		r = n.get("/acme/dot.png?w=2&fm=jxl", "Accept", "*/*")
		if r.code != 200 || r.h("Content-Type") != "image/jxl" || r.h("Vary") != "" {
			t.Errorf("fm=jxl: %d %q Vary %q", r.code, r.h("Content-Type"), r.h("Vary"))
		}
	}
	keys := NewCodec(&echoProcessor{}, transform.AVIF, transform.WebP)
	if k := keys.Negotiate(chromium); k != keys.Negotiate("image/avif,image/webp") {
		t.Errorf("without jxl in the order, image/jxl must not split the key: %q", k)
	}
}

func TestCodecCheaperClass(t *testing.T) {
	c := NewCodec(&echoProcessor{})
	chrome := c.Negotiate("image/avif,image/webp,*/*")
	for _, tc := range []struct {
		format, want string
		ok           bool
	}{
		{chrome, c.Negotiate("image/webp"), true},
		{c.Negotiate("image/avif"), c.Negotiate("*/*"), true},
		{c.Negotiate("image/webp"), "", false},
		{c.Negotiate("*/*"), "", false},
		{"avif", "", false}, // an explicit format always waits
	} {
		for range 2 { // the second answer is memoised
			if got, ok := c.(FormatBudget).Cheaper(tc.format); got != tc.want || ok != tc.ok {
				t.Errorf("Cheaper(%q) = %q, %v; want %q, %v", tc.format, got, ok, tc.want, tc.ok)
			}
		}
	}
	if _, ok := NewCodec(&echoProcessor{}, transform.WebP, transform.AVIF).(FormatBudget).Cheaper(chrome); ok {
		t.Error("with WebP first, nothing slow is negotiated for Chrome")
	}
}
