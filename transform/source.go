package transform

import (
	"context"
	"fmt"
)

// Source is an encoded image and the Meta that Probe read from it. Only
// NewSource makes one, so a Processor given a Source (SourceProcessor)
// trusts its Meta instead of probing the bytes again. The zero Source
// holds no image. A Source is a small value, safe to copy and share; its
// bytes must not be modified.
type Source struct {
	bytes []byte
	meta  Meta
}

// NewSource probes src (see Probe) and returns it with its Meta; errors
// are Probe's. src is retained, not copied.
func NewSource(src []byte) (Source, error) {
	m, err := Probe(src)
	if err != nil {
		return Source{}, err
	}
	return Source{bytes: src, meta: m}, nil
}

// Bytes returns the encoded image; the caller must not modify it.
func (s Source) Bytes() []byte { return s.bytes }

// Meta returns what Probe read from the bytes.
func (s Source) Meta() Meta { return s.meta }

// IsZero reports whether s holds no image (NewSource made it not).
func (s Source) IsZero() bool { return s.meta.Width == 0 }

// Checked are Options known to be valid and in normal form (Normalize):
// only Options.Check and Checked.WithFormat make them, so a Processor
// given Checked options (SourceProcessor) validates and normalises nothing
// again. The zero value is the zero Options. Comparable, safe to copy and
// share.
type Checked struct{ o Options }

// Check validates o and returns it normalised. Errors are Validate's.
func (o Options) Check() (Checked, error) {
	if err := o.Validate(); err != nil {
		return Checked{}, err
	}
	return Checked{o.Normalize()}, nil
}

// Options returns the options, valid and normalised.
func (c Checked) Options() Options { return c.o }

// IsZero is Options.IsZero of options already in normal form.
func (c Checked) IsZero() bool {
	n := c.o
	n.Accepts = 0
	return n == Options{}
}

// WithFormat returns c with the output format f, which must be a format
// a Processor writes, and the formats the client accepts (see
// Options.Accepts; zero when f was not negotiated). It applies what
// normalising depends on the format (q is dropped for PNG and GIF), so the
// result is in normal form too.
func (c Checked) WithFormat(f Format, accepts FormatSet) (Checked, error) {
	if !f.Writable() {
		return Checked{}, &OptionError{Param: "fm", Reason: fmt.Sprintf("%s is not an output format", f)}
	}
	o := c.o
	o.Format, o.Accepts = f, accepts
	if f == PNG || f == GIF {
		o.Quality = 0
	}
	return Checked{o}, nil
}

// SourceProcessor is a Processor that takes a probed Source and Checked
// options, so that a caller who probed and validated already (the edge,
// once per miss) has nothing done twice. Its contract is Process's.
type SourceProcessor interface {
	Processor
	// ProcessSource is Process on src's bytes with opts, whose format
	// must be concrete (Checked.WithFormat). It still checks src against
	// the implementation's source limits.
	ProcessSource(ctx context.Context, src Source, opts Checked) ([]byte, Meta, error)
}
