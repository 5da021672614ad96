package transform

import (
	"errors"
	"testing"
)

func TestParseValid(t *testing.T) {
	cases := []struct {
		query, canonical string
	}{
		{"", ""},
		{"w=400", "w=400"},
		{"h=300&w=400", "w=400&h=300"},
		{"w=400&dpr=2", "w=800"},
		{"w=400&h=100&dpr=1.5", "w=600&h=150"},
		{"w=5000&h=2500&dpr=4", "w=8192&h=4096"}, // capped, aspect kept
		{"dpr=3", ""},
		{"w=400&fit=inside&g=center&fm=auto&bg=ffffff&dpr=1&rot=0", "w=400"},
		{"w=10&h=10&fit=cover&g=smart", "w=10&h=10&fit=cover&g=smart"},
		{"w=10&h=10&fit=cover&g=fp:0.5,0.5", "w=10&h=10&fit=cover"},
		{"w=10&h=10&fit=cover&g=fp:0.250,1", "w=10&h=10&fit=cover&g=fp:0.25,1"},
		{"w=10&h=10&fit=cover&g=fp%3A0.1%2C0.9", "w=10&h=10&fit=cover&g=fp:0.1,0.9"},
		{"fm=JPG", "fm=jpeg"},
		{"fm=png&q=50", "fm=png"},
		{"fm=webp&q=75&blur=2.50&sharpen=0.3&rot=270&flip=v&bg=FF000080",
			"fm=webp&q=75&blur=2.5&sharpen=0.3&rot=270&flip=v&bg=ff000080"},
		{"bg=00ff00ff", "bg=00ff00"},
		{"fit=cover", ""},
	}
	for _, c := range cases {
		o, err := Parse(c.query)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.query, err)
			continue
		}
		if got := o.Canonical(); got != c.canonical {
			t.Errorf("Parse(%q).Canonical() = %q, want %q", c.query, got, c.canonical)
		}
		if o.IsZero() != (c.canonical == "") {
			t.Errorf("Parse(%q).IsZero() = %v", c.query, o.IsZero())
		}
	}
}

func TestParseInvalid(t *testing.T) {
	cases := []struct{ query, msg string }{
		{"w=0", "w: must be an integer 1..8192"},
		{"w=8193", "w: must be an integer 1..8192"},
		{"w=-1", "w: must be an integer 1..8192"},
		{"w=+4", "w: must be an integer 1..8192"},
		{"w=1e3", "w: must be an integer 1..8192"},
		{"w=", "w: must be an integer 1..8192"},
		{"h=abc", "h: must be an integer 1..8192"},
		{"w=1&w=2", "w: given more than once"},
		{"dpr=0.5", "dpr: must be a number 1..4"},
		{"dpr=NaN", "dpr: must be a number 1..4"},
		{"dpr=Inf", "dpr: must be a number 1..4"},
		{"dpr=4.0000001", "dpr: must be a number 1..4"},
		{"fit=stretch", "fit: must be inside, cover, contain, fill or outside"},
		{"g=up", "g: must be center, n, s, e, w, ne, nw, se, sw, smart or fp:X,Y"},
		{"w=1&fit=cover&g=fp:1.5,0", "g: focal point must be fp:X,Y with X and Y in 0..1"},
		{"w=1&fit=cover&g=fp:0.5", "g: focal point must be fp:X,Y with X and Y in 0..1"},
		{"w=1&g=n", "g: applies only with fit=cover"},
		{"fm=bmp", "fm: must be auto, jxl, avif, webp, jpeg, png or gif"},
		{"fm=heif", "fm: must be auto, jxl, avif, webp, jpeg, png or gif"},
		{"q=0", "q: must be an integer 1..100"},
		{"q=101", "q: must be an integer 1..100"},
		{"blur=0.1", "blur: must be a number 0.3..100"},
		{"sharpen=1000", "sharpen: must be a number 0.3..100"},
		{"rot=45", "rot: must be 90, 180 or 270"},
		{"flip=hv", "flip: must be h or v"},
		{"bg=fff", "bg: must be rrggbb or rrggbbaa"},
		{"bg=-fffff", "bg: must be rrggbb or rrggbbaa"},
		{"bg=gggggg", "bg: must be rrggbb or rrggbbaa"},
		{"size=4", `"size": unknown option`},
		{"s=abc", `"s": unknown option`},
		{"%zz", "query: malformed query string"},
		{"w=1;h=2", "query: malformed query string"},
		{"\x00\xff=1", `"??": unknown option`},
	}
	for _, c := range cases {
		_, err := Parse(c.query)
		if !errors.Is(err, ErrInvalidOption) {
			t.Errorf("Parse(%q) = %v, want ErrInvalidOption", c.query, err)
			continue
		}
		if err.Error() != c.msg {
			t.Errorf("Parse(%q) = %q, want %q", c.query, err, c.msg)
		}
	}
}

func TestValidateCodeBuiltOptions(t *testing.T) {
	bad := []Options{
		{Width: -1},
		{DPR: 0.5},
		{Fit: 99},
		{Format: HEIF},
		{Gravity: Gravity{Kind: GravityFocal, X: 2}, Fit: FitCover},
		{Gravity: Gravity{Kind: GravityNorth, X: 0.1}, Fit: FitCover},
		{Rotate: 45},
		{Background: Color{R: 1}},
		{Blur: 0.01},
	}
	for _, o := range bad {
		if err := o.Validate(); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("%+v.Validate() = %v, want ErrInvalidOption", o, err)
		}
	}
	if err := (Options{Width: 1, Fit: FitCover, Gravity: Gravity{Kind: GravityFocal, X: 1, Y: 0}}).Validate(); err != nil {
		t.Errorf("valid focal options: %v", err)
	}
}

func TestIsZeroIgnoresAccepts(t *testing.T) {
	if !(Options{Accepts: NewFormatSet(WebP), DPR: 2}).IsZero() {
		t.Error("dpr and Accepts alone should be IsZero")
	}
	if (Options{Format: WebP}).IsZero() {
		t.Error("an explicit format is a transform")
	}
}
