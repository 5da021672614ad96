package transform

import "context"

// Meta describes an encoded image: a source (from Probe) or a Processor's
// output (the bytes it returned).
type Meta struct {
	Width, Height int    // pixels as displayed (EXIF orientation applied); one frame of an animation
	Format        Format // never FormatAuto
	Bytes         int    // length of the encoded image
	HasAlpha      bool   // the format carries transparency (alpha channel, tRNS, GIF transparency)
	Frames        int    // 1 for a still image
	// Orientation is the EXIF orientation (2..8) that a decoder must apply to
	// the stored pixels, 0 when there is none. Width and Height already
	// account for it. Always 0 for a Processor's output.
	Orientation int
}

// Pixels returns Width×Height, the pixels of one frame.
func (m Meta) Pixels() int64 { return int64(m.Width) * int64(m.Height) }

// Processor resizes and re-encodes images.
type Processor interface {
	// Process decodes src, applies opts and encodes the result in
	// opts.Format, which must be concrete (the caller negotiates FormatAuto
	// away first; FormatAuto is refused with ErrInvalidOption). It returns the
	// encoded bytes, owned by the caller, and their Meta. When opts.Accepts
	// is set and the source is in an accepted format, at the output size, with
	// no pixel operation, and smaller than the encoding, Process returns src
	// itself and Meta.Format is the source format.
	//
	// Errors wrap a sentinel of this package (ErrInvalidOption,
	// ErrUnsupported, ErrTooLarge, ErrTooManyPixels, ErrCorrupt,
	// ErrOverloaded) or are the context's error; their text is safe to show a
	// client. Process blocks until done, the context ends or the deadline of
	// the implementation passes, and is safe for concurrent use; src is only
	// read, never retained.
	Process(ctx context.Context, src []byte, opts Options) ([]byte, Meta, error)
}
