package transform

import (
	"errors"
	"testing"
)

// ParseChecked is Parse then Normalize, in one validation; Checked's
// Canonical and IsZero agree with Options'; WithFormat normalises what
// depends on the format and refuses a format no processor writes.
func TestParseChecked(t *testing.T) {
	for _, q := range []string{"w=200&dpr=2&q=70&fm=png", "fm=auto", "w=10&fit=cover&g=fp:0.5,0.5", "bg=ffffff&h=3"} {
		o, err := Parse(q)
		c, cerr := ParseChecked(q)
		if err != nil || cerr != nil {
			t.Fatalf("%s: %v, %v", q, err, cerr)
		}
		if c.Options() != o.Normalize() || c.Canonical() != o.Canonical() || c.IsZero() != o.IsZero() {
			t.Errorf("%s: checked %+v, parsed %+v", q, c.Options(), o.Normalize())
		}
	}
	if _, err := ParseChecked("w=0"); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("w=0: %v", err)
	}
	c, _ := ParseChecked("w=20&q=50")
	if png, err := c.WithFormat(PNG, 0); err != nil || png.Options().Quality != 0 || png.Options().Format != PNG {
		t.Errorf("PNG: %+v %v", png.Options(), err)
	}
	if webp, err := c.WithFormat(WebP, NewFormatSet(WebP)); err != nil || webp.Options().Quality != 50 || !webp.Options().Accepts.Has(WebP) {
		t.Errorf("WebP: %+v %v", webp.Options(), err)
	}
	if _, err := c.WithFormat(FormatAuto, 0); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("auto: %v", err)
	}
	if _, err := NewSource([]byte("junk")); err == nil {
		t.Error("junk probed")
	}
}
