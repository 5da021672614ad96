package transform

import (
	"context"
	"errors"
)

// Size is a width and a height in pixels.
type Size struct{ W, H int }

// Long returns the longer side.
func (s Size) Long() int { return max(s.W, s.H) }

// ErrNoMaster is returned by MasterProcessor.MakeMaster for a source that
// needs no working master: its long side is within the bound (it is its own
// master) or it is animated (masters are stills).
var ErrNoMaster = errors.New("the image needs no master")

// MasterProcessor is a Processor that makes and uses working masters: a
// pre-shrunk copy of a large original, orientation applied, converted to
// sRGB, alpha kept, encoded so that it decodes fast, from which smaller
// variants are made almost as faithfully as from the original at a fraction
// of the decode cost.
type MasterProcessor interface {
	SourceProcessor
	// MakeMaster returns the master of src (long side bound, the other
	// side in proportion), owned by the caller, and its Meta, or an error
	// wrapping ErrNoMaster when src needs none. Other errors are those of
	// Process. Safe for concurrent use; it takes a worker like Process.
	MakeMaster(ctx context.Context, src Source, bound int) ([]byte, Meta, error)
	// MasterFits reports whether opts (with a concrete or auto format)
	// can be made from a master of size master of an original of size
	// orig: the image it resizes to is no larger than the master on
	// either side. Pure and cheap.
	MasterFits(orig, master Size, opts Checked) bool
	// ProcessMaster is ProcessSource on a master of an original of size
	// orig: the geometry comes from orig, so the result has exactly the
	// size Process gives from the original. It refuses options that do
	// not fit (MasterFits) with ErrInvalidOption.
	ProcessMaster(ctx context.Context, master Source, orig Size, opts Checked) ([]byte, Meta, error)
}

type backgroundKey struct{}

// WithBackground returns ctx marking the Process, ProcessMaster and
// MakeMaster calls made with it as background work (pre-rendering): a
// Processor runs such a call only when it is idle, and otherwise fails it
// at once with ErrOverloaded instead of queueing it, so that it never takes
// a worker a request would wait for.
func WithBackground(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground reports whether ctx was marked by WithBackground.
func IsBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}
