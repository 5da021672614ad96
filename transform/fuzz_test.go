package transform

import (
	"errors"
	"testing"
)

// FuzzParse checks that nothing panics, errors are ErrInvalidOption, and a
// parsed option set survives Canonical: Parse(o.Canonical()) == o.Normalize()
// and the canonical string is a fixed point.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "w=400", "w=400&h=300&fit=cover&g=fp:0.3,0.7&dpr=2.5", "fm=avif&q=50",
		"blur=3&sharpen=0.5&rot=90&flip=h&bg=00000000", "w=8192&dpr=4", "g=smart&fit=cover&h=1",
		"w=1&w=2", "%zz", "bg=FFFFFF", "fit=contain&w=3&bg=12345678",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		o, err := Parse(q)
		if err != nil {
			if !errors.Is(err, ErrInvalidOption) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrInvalidOption", q, err)
			}
			return
		}
		c := o.Canonical()
		back, err := Parse(c)
		if err != nil {
			t.Fatalf("Parse(Canonical) of %q = %q failed: %v", q, c, err)
		}
		if want := o.Normalize(); back != want {
			t.Fatalf("Parse(%q) = %+v, want %+v", c, back, want)
		}
		if c2 := back.Canonical(); c2 != c {
			t.Fatalf("canonical not a fixed point: %q then %q", c, c2)
		}
		if o.IsZero() != (c == "") {
			t.Fatalf("IsZero %v but canonical %q", o.IsZero(), c)
		}
	})
}

// FuzzProbe checks that Probe never panics and only returns this package's
// errors, with sane dimensions on success.
func FuzzProbe(f *testing.F) {
	for _, seed := range probeSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Probe(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("Probe error %v is neither ErrCorrupt nor ErrUnsupported", err)
			}
			return
		}
		if m.Width <= 0 || m.Height <= 0 || m.Frames <= 0 || m.Bytes != len(b) || m.Format == FormatAuto {
			t.Fatalf("Probe returned %+v for %d bytes", m, len(b))
		}
	})
}
