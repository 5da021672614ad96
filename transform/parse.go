package transform

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// maxParamName bounds how much of an unknown parameter name an error echoes.
const maxParamName = 24

// Parse parses the option parameters of a raw URL query ("w=400&fm=auto").
// Every parameter must be a known option given once; p and s are not options
// (the edge removes them first). Errors wrap ErrInvalidOption and name the
// parameter. The result is validated but not normalized (see Normalize).
// Parse is a pure function, safe for concurrent use.
func Parse(query string) (Options, error) {
	vals, err := url.ParseQuery(query)
	if err != nil {
		return Options{}, optErr("query", "malformed query string")
	}
	return ParseValues(vals)
}

// ParseValues is Parse over already-split parameters. It does not modify v.
func ParseValues(v url.Values) (Options, error) {
	o, err := setValues(v)
	if err != nil {
		return Options{}, err
	}
	if err := o.Validate(); err != nil {
		return Options{}, err
	}
	return o, nil
}

// ParseChecked is Parse returning the options checked (Options.Check):
// validated once and in normal form.
func ParseChecked(query string) (Checked, error) {
	vals, err := url.ParseQuery(query)
	if err != nil {
		return Checked{}, optErr("query", "malformed query string")
	}
	return ParseCheckedValues(vals)
}

// ParseCheckedValues is ParseChecked over already-split parameters. It
// does not modify v.
func ParseCheckedValues(v url.Values) (Checked, error) {
	o, err := setValues(v)
	if err != nil {
		return Checked{}, err
	}
	return o.Check()
}

// setValues sets the options v names, each value checked as it is read;
// the combinations are left to Validate.
func setValues(v url.Values) (Options, error) {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic choice of the error reported
	var o Options
	for _, k := range keys {
		set, ok := setters[k]
		if !ok {
			return Options{}, optErr(safeName(k), "unknown option")
		}
		if len(v[k]) != 1 {
			return Options{}, optErr(k, "given more than once")
		}
		if err := set(&o, v[k][0]); err != nil {
			return Options{}, err
		}
	}
	return o, nil
}

// safeName makes an unknown parameter name fit to echo: short and printable.
func safeName(k string) string {
	if len(k) > maxParamName {
		k = k[:maxParamName]
	}
	k = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, k)
	return strconv.Quote(k)
}

var setters = map[string]func(*Options, string) error{
	"w": func(o *Options, s string) (err error) { o.Width, err = parseSide("w", s); return },
	"h": func(o *Options, s string) (err error) { o.Height, err = parseSide("h", s); return },
	"dpr": func(o *Options, s string) (err error) {
		o.DPR, err = parseNumber("dpr", s, 1, MaxDPR, reasonDPR)
		return
	},
	"fit":     parseFit,
	"g":       parseGravity,
	"fm":      parseFormatOption,
	"q":       parseQuality,
	"blur":    func(o *Options, s string) (err error) { o.Blur, err = parseSigma("blur", s); return },
	"sharpen": func(o *Options, s string) (err error) { o.Sharpen, err = parseSigma("sharpen", s); return },
	"rot":     parseRotate,
	"flip":    parseFlip,
	"bg":      parseBackground,
}

// parseUint accepts 1 to 5 ASCII digits only (no sign, no spaces).
func parseUint(s string) (int, bool) {
	if len(s) == 0 || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func parseSide(param, s string) (int, error) {
	n, ok := parseUint(s)
	if !ok || n < 1 || n > MaxSide {
		return 0, optErr(param, reasonSide)
	}
	return n, nil
}

func parseQuality(o *Options, s string) error {
	n, ok := parseUint(s)
	if !ok || n < 1 || n > 100 {
		return optErr("q", reasonQuality)
	}
	o.Quality = n
	return nil
}

// parseDecimal accepts 1-3 digits, optionally a dot and 1-6 digits: plain
// decimals only, so every accepted value prints back (strconv 'f', -1) to a
// string that parses to the same float64.
func parseDecimal(s string) (float64, bool) {
	whole, frac, dot := strings.Cut(s, ".")
	if _, ok := parseUint(whole); !ok || len(whole) > 3 {
		return 0, false
	}
	if dot {
		if _, ok := parseUint(frac); !ok || len(frac) > 6 {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

func parseNumber(param, s string, lo, hi float64, reason string) (float64, error) {
	v, ok := parseDecimal(s)
	if !ok || v < lo || v > hi {
		return 0, optErr(param, reason)
	}
	return v, nil
}

func parseSigma(param, s string) (float64, error) {
	return parseNumber(param, s, MinSigma, MaxSigma, reasonSigma)
}

func parseFit(o *Options, s string) error {
	for f, name := range fitNames {
		if s == name {
			o.Fit = Fit(f)
			return nil
		}
	}
	return optErr("fit", "must be inside, cover, contain, fill or outside")
}

func parseGravity(o *Options, s string) error {
	if rest, ok := strings.CutPrefix(s, "fp:"); ok {
		xs, ys, ok := strings.Cut(rest, ",")
		x, okx := parseDecimal(xs)
		y, oky := parseDecimal(ys)
		if !ok || !okx || !oky || x > 1 || y > 1 {
			return optErr("g", reasonFocal)
		}
		o.Gravity = Gravity{Kind: GravityFocal, X: x, Y: y}
		return nil
	}
	for k, name := range gravityNames[:GravityFocal] {
		if s == name {
			o.Gravity = Gravity{Kind: GravityKind(k)}
			return nil
		}
	}
	return optErr("g", "must be center, n, s, e, w, ne, nw, se, sw, smart or fp:X,Y")
}

func parseFormatOption(o *Options, s string) error {
	f, ok := ParseFormat(s)
	if !ok {
		return optErr("fm", reasonFormat)
	}
	o.Format = f
	return nil
}

func parseRotate(o *Options, s string) error {
	switch s {
	case "0", "90", "180", "270":
		o.Rotate, _ = strconv.Atoi(s)
		return nil
	}
	return optErr("rot", reasonRotate)
}

func parseFlip(o *Options, s string) error {
	switch s {
	case "h":
		o.Flip = FlipHorizontal
	case "v":
		o.Flip = FlipVertical
	default:
		return optErr("flip", "must be h or v")
	}
	return nil
}

func parseBackground(o *Options, s string) error {
	if len(s) != 6 && len(s) != 8 {
		return optErr("bg", "must be rrggbb or rrggbbaa")
	}
	if len(s) == 6 {
		s += "ff"
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil || strings.ContainsAny(s, "+-_xX") {
		return optErr("bg", "must be rrggbb or rrggbbaa")
	}
	o.Background = Color{R: uint8(v >> 24), G: uint8(v >> 16), B: uint8(v >> 8), A: uint8(v), Set: true}
	return nil
}
