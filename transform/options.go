package transform

// Limits of the URL grammar (ARCHITECTURE.md, "Public URL grammar").
const (
	// MaxSide is the largest width or height, in pixels, that may be asked
	// for or produced, also after dpr is folded in.
	MaxSide = 8192
	// MaxDPR is the largest device pixel ratio.
	MaxDPR = 4
	// MinSigma and MaxSigma bound the blur and sharpen sigmas.
	MinSigma, MaxSigma float64 = 0.3, 100
)

// Fit says how the image fills the w×h box. The zero value is FitInside.
type Fit uint8

// Fits.
const (
	FitInside  Fit = iota // scale to fit inside the box, never enlarge (default)
	FitCover              // scale to fill the box, crop the overflow per Gravity
	FitContain            // scale to fit inside the box, letterbox with Background
	FitFill               // stretch to exactly the box, ignoring aspect ratio
	FitOutside            // scale so the box fits inside the image, no crop
	fitCount
)

var fitNames = [fitCount]string{"inside", "cover", "contain", "fill", "outside"}

// String returns the URL name of f.
func (f Fit) String() string {
	if f >= fitCount {
		return "unknown"
	}
	return fitNames[f]
}

// GravityKind says which part of the image FitCover keeps.
type GravityKind uint8

// Gravity kinds. The zero value is GravityCenter.
const (
	GravityCenter GravityKind = iota
	GravityNorth
	GravitySouth
	GravityEast
	GravityWest
	GravityNorthEast
	GravityNorthWest
	GravitySouthEast
	GravitySouthWest
	GravitySmart // libvips attention crop
	GravityFocal // keep the focal point Gravity.X, Gravity.Y as central as possible
	gravityCount
)

var gravityNames = [gravityCount]string{"center", "n", "s", "e", "w", "ne", "nw", "se", "sw", "smart", "fp"}

// Gravity is where FitCover crops. X and Y (0..1, from the left and the top)
// are used only by GravityFocal and are zero otherwise.
type Gravity struct {
	Kind GravityKind
	X, Y float64
}

// Flip mirrors the image. The zero value is FlipNone.
type Flip uint8

// Flips.
const (
	FlipNone       Flip = iota
	FlipHorizontal      // URL "h": left-right mirror
	FlipVertical        // URL "v": top-bottom mirror
)

// Color is an sRGB colour with alpha. Set distinguishes an explicit colour
// from the zero value, which means the default, opaque white.
type Color struct {
	R, G, B, A uint8
	Set        bool
}

// White is the default background.
var White = Color{R: 255, G: 255, B: 255, A: 255, Set: true}

// Options are the transform options of one request: every option of the URL
// table except p (presets) and s (signature), which the edge handles. The
// zero value means "no transform". Options is a plain comparable value, safe
// to copy and to share between goroutines.
type Options struct {
	Width, Height int     // target box in CSS pixels, 1..MaxSide; 0 = unset (aspect kept)
	DPR           float64 // device pixel ratio 1..MaxDPR multiplying Width/Height; 0 = 1
	Fit           Fit     // default FitInside
	Gravity       Gravity // FitCover only; default center
	Format        Format  // default FormatAuto (negotiated by the edge)
	Quality       int     // encoder quality 1..100; 0 = the processor's per-format default; PNG, GIF ignore it
	Blur          float64 // Gaussian blur sigma MinSigma..MaxSigma; 0 = none
	Sharpen       float64 // sharpen sigma MinSigma..MaxSigma; 0 = none
	Rotate        int     // clockwise degrees: 0, 90, 180, 270
	Flip          Flip    // default FlipNone
	Background    Color   // for flattening alpha and for FitContain; default White
	// Accepts is not a URL option: the formats the client accepts
	// (ParseAccept of its Accept header), set by the edge when Format came
	// from Negotiate. When set, a Processor may return the source bytes
	// instead of an encoding that would be larger, provided the source format
	// is in Accepts and nothing but the format would change; Meta.Format then
	// says so. Canonical ignores it: an edge that sets it must add
	// Accepts.Has(source format) to its variant key.
	Accepts FormatSet
}

// Normalize returns the equivalent options in canonical form: dpr folded into
// Width and Height (scaled by one factor, capped so neither exceeds MaxSide),
// defaults replaced by zero values, options that cannot apply dropped (fit and
// gravity without a box, a centred focal point, q for PNG and GIF). o must
// be valid.
func (o Options) Normalize() Options {
	if o.DPR > 1 && (o.Width > 0 || o.Height > 0) {
		f := o.DPR
		f = capFactor(f, o.Width)
		f = capFactor(f, o.Height)
		o.Width = scaleSide(o.Width, f)
		o.Height = scaleSide(o.Height, f)
	}
	o.DPR = 0
	if o.Width == 0 && o.Height == 0 {
		o.Fit = FitInside
	}
	if o.Fit != FitCover || (o.Gravity.Kind == GravityFocal && o.Gravity.X == 0.5 && o.Gravity.Y == 0.5) {
		o.Gravity = Gravity{}
	}
	if o.Background == White {
		o.Background = Color{}
	}
	if o.Format == PNG || o.Format == GIF { // lossless encoders: q changes nothing
		o.Quality = 0
	}
	return o
}

func capFactor(f float64, side int) float64 {
	if side > 0 && f*float64(side) > MaxSide {
		return MaxSide / float64(side)
	}
	return f
}

func scaleSide(side int, f float64) int {
	if side == 0 {
		return 0
	}
	s := int(float64(side)*f + 0.5)
	return min(max(s, 1), MaxSide)
}

// IsZero reports whether o asks for no transform at all, so the original
// bytes can be served as they are. Accepts is ignored; an explicit output
// format is a transform.
func (o Options) IsZero() bool {
	n := o.Normalize()
	n.Accepts = 0
	return n == Options{}
}

// HasPixelOps reports whether o changes pixels beyond scaling and format:
// blur, sharpen, rotate or flip.
func (o Options) HasPixelOps() bool {
	return o.Blur > 0 || o.Sharpen > 0 || o.Rotate != 0 || o.Flip != FlipNone
}
