package transform

import "testing"

func TestNegotiate(t *testing.T) {
	const chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	still := Meta{Format: JPEG, Frames: 1}
	alpha := Meta{Format: PNG, Frames: 1, HasAlpha: true}
	anim := Meta{Format: GIF, Frames: 5}
	cases := []struct {
		accept    string
		src       Meta
		requested Format
		want      Format
	}{
		{chrome, still, FormatAuto, AVIF},
		{chrome, still, JPEG, JPEG},
		{"image/webp,*/*", still, FormatAuto, WebP},
		{"image/avif;q=0,image/webp", still, FormatAuto, WebP},
		{"*/*", still, FormatAuto, JPEG},
		{"image/*", alpha, FormatAuto, PNG},
		{"", alpha, FormatAuto, PNG},
		{"image/webp", alpha, FormatAuto, WebP},
		{chrome, anim, FormatAuto, WebP},
		{"image/avif", anim, FormatAuto, GIF},
		{"*/*", anim, FormatAuto, GIF},
		{"IMAGE/AVIF ; q=0.5", still, FormatAuto, AVIF},
		{"image/avif;q=abc", still, FormatAuto, JPEG},
	}
	for _, c := range cases {
		if got := Negotiate(c.accept, c.src, c.requested); got != c.want {
			t.Errorf("Negotiate(%q, %+v, %v) = %v, want %v", c.accept, c.src, c.requested, got, c.want)
		}
	}
}

func TestParseAccept(t *testing.T) {
	s := ParseAccept("image/heic, image/webp;q=0.9")
	if got := s.String(); got != "jpeg,png,webp,gif,heif" {
		t.Errorf("ParseAccept = %q", got)
	}
	for f, ct := range map[Format]string{JPEG: "image/jpeg", AVIF: "image/avif", FormatAuto: "", Format(99): ""} {
		if f.ContentType() != ct {
			t.Errorf("%v.ContentType() = %q, want %q", f, f.ContentType(), ct)
		}
	}
}

func TestFormatOrderChoose(t *testing.T) {
	const chromium = "image/jxl,image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	still := Meta{Format: JPEG, Frames: 1}
	alpha := Meta{Format: PNG, Frames: 1, HasAlpha: true}
	anim := Meta{Format: GIF, Frames: 5}
	jxlFirst := FormatOrder{JXL, AVIF, WebP}
	cases := []struct {
		order  FormatOrder
		accept string
		src    Meta
		want   Format
	}{
		{DefaultFormatOrder(), chromium, still, AVIF},
		{jxlFirst, chromium, still, JXL},
		{jxlFirst, chromium, alpha, JXL},
		{jxlFirst, chromium, anim, WebP},
		{jxlFirst, "image/jxl", anim, GIF},
		{jxlFirst, "image/jxl;q=0,image/webp", still, WebP},
		{DefaultFormatOrder(), "image/jxl", still, JXL},
		{FormatOrder{WebP}, chromium, still, WebP},
		{FormatOrder{AVIF}, "image/jxl,image/webp", alpha, PNG},
	}
	for _, c := range cases {
		if got := c.order.Negotiate(c.accept, c.src, FormatAuto); got != c.want {
			t.Errorf("%v.Negotiate(%q, %+v) = %v, want %v", c.order, c.accept, c.src, got, c.want)
		}
	}
	if got := jxlFirst.Negotiate(chromium, still, PNG); got != PNG {
		t.Errorf("a requested format must win, got %v", got)
	}
}

func TestParseFormatOrder(t *testing.T) {
	o, err := ParseFormatOrder("jxl, avif,webp")
	if err != nil || o.String() != "jxl,avif,webp" {
		t.Fatalf("ParseFormatOrder = %v, %v", o, err)
	}
	if DefaultFormatOrder().String() != "avif,webp,jxl" {
		t.Errorf("default order %v", DefaultFormatOrder())
	}
	for _, bad := range []string{"", "jpeg", "jxl,jxl", "avif,,webp", "heif", "auto"} {
		if _, err := ParseFormatOrder(bad); err == nil {
			t.Errorf("ParseFormatOrder(%q) accepted", bad)
		}
	}
}

func TestJXLFormat(t *testing.T) {
	f, ok := ParseFormat("jxl")
	if !ok || f != JXL || f.ContentType() != "image/jxl" || !f.Writable() || !f.SupportsAlpha() {
		t.Fatalf("jxl: %v %v %q", f, ok, f.ContentType())
	}
	if s := ParseAccept("image/jxl"); !s.Has(JXL) || s.String() != "jpeg,png,gif,jxl" || s.Without(JXL).Has(JXL) {
		t.Errorf("ParseAccept(image/jxl) = %q", s)
	}
	o, err := Parse("w=100&fm=jxl&q=70")
	if err != nil || o.Format != JXL || o.Canonical() != "w=100&fm=jxl&q=70" {
		t.Errorf("Parse: %+v %v", o, err)
	}
}

func TestFormatOrderCheaper(t *testing.T) {
	base := NewFormatSet(JPEG, PNG, GIF)
	cases := []struct {
		order    FormatOrder
		accepted FormatSet
		cheaper  FormatSet
		slow     bool
	}{
		{DefaultFormatOrder(), base.With(AVIF).With(WebP), base.With(WebP), true},
		{DefaultFormatOrder(), base.With(AVIF), base, true},
		{DefaultFormatOrder(), base.With(WebP).With(JXL), base.With(WebP), false},
		{DefaultFormatOrder(), base.With(JXL), base, true},
		{DefaultFormatOrder(), base, base, false},
		{FormatOrder{WebP, AVIF}, base.With(AVIF).With(WebP), base.With(WebP), false},
		{FormatOrder{JXL, AVIF, WebP}, base.With(JXL).With(WebP).With(HEIF), base.With(WebP).With(HEIF), true},
	}
	for _, c := range cases {
		cheaper, slow := c.order.Cheaper(c.accepted)
		if cheaper != c.cheaper || slow != c.slow {
			t.Errorf("%v.Cheaper(%v) = %v, %v; want %v, %v", c.order, c.accepted, cheaper, slow, c.cheaper, c.slow)
		}
	}
}
