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
