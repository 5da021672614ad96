package transform

import (
	"fmt"
	"strconv"
	"strings"
)

// Canonical returns the canonical query string of o: Normalize'd, parameters
// in a fixed order, defaults omitted, lower-case, no dpr. Equivalent option
// sets give the same string, so the edge can use it in cache keys; "" means
// IsZero. Parse(o.Canonical()) returns o.Normalize() (Accepts aside). o must
// be valid.
func (o Options) Canonical() string { return o.Normalize().canonical() }

// Canonical is Options.Canonical of options already in normal form.
func (c Checked) Canonical() string { return c.o.canonical() }

// canonical writes n, which is in normal form.
func (n Options) canonical() string {
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	addInt := func(k string, v int) {
		if v != 0 {
			add(k, strconv.Itoa(v))
		}
	}
	addInt("w", n.Width)
	addInt("h", n.Height)
	if n.Fit != FitInside {
		add("fit", n.Fit.String())
	}
	if g := n.Gravity; g != (Gravity{}) {
		add("g", g.String())
	}
	if n.Format != FormatAuto {
		add("fm", n.Format.String())
	}
	addInt("q", n.Quality)
	addFloat(add, "blur", n.Blur)
	addFloat(add, "sharpen", n.Sharpen)
	addInt("rot", n.Rotate)
	if n.Flip != FlipNone {
		add("flip", map[Flip]string{FlipHorizontal: "h", FlipVertical: "v"}[n.Flip])
	}
	if n.Background.Set {
		add("bg", n.Background.Hex())
	}
	return b.String()
}

func addFloat(add func(k, v string), k string, v float64) {
	if v != 0 {
		add(k, formatDecimal(v))
	}
}

func formatDecimal(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// String returns the URL form of g: "center", "n", …, "smart", "fp:X,Y".
func (g Gravity) String() string {
	if g.Kind == GravityFocal {
		return "fp:" + formatDecimal(g.X) + "," + formatDecimal(g.Y)
	}
	if g.Kind >= gravityCount {
		return "unknown"
	}
	return gravityNames[g.Kind]
}

// Hex returns c as "rrggbb" when opaque, else "rrggbbaa".
func (c Color) Hex() string {
	if c.A == 255 {
		return fmt.Sprintf("%02x%02x%02x", c.R, c.G, c.B)
	}
	return fmt.Sprintf("%02x%02x%02x%02x", c.R, c.G, c.B, c.A)
}
