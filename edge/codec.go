package edge

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"pixcdn/transform"
)

// NewCodec adapts a transform.Processor (transform/libvips) to the edge's
// Codec. Safe for concurrent use.
//
// Negotiation: the variant key of an auto-format request holds the set of
// formats the client accepts ("auto:jpeg,png,webp,avif,gif"), not the raw
// Accept header and not the final format, which for animations and alpha
// depends on the source; Transform picks the final format with order's
// Choose (transform.DefaultFormatOrder when order is empty) and lets the
// processor keep the source bytes when they are smaller and acceptable
// (Options.Accepts, which the key covers). JPEG XL is in the key only when
// order has it: it is never a source, so otherwise it changes nothing.
// Every node of a cluster must use the same order, and variants cached under
// another order keep their format until they expire or are purged.
//
// The codec is a FormatBudget: the cheaper class of a class whose still
// images become AVIF or JPEG XL is the class without those formats
// (transform.FormatOrder.Cheaper).
func NewCodec(p transform.Processor, order ...transform.Format) Codec {
	if len(order) == 0 {
		order = transform.DefaultFormatOrder()
	}
	return &codec{p: p, order: order}
}

type codec struct {
	p       transform.Processor
	order   transform.FormatOrder
	classes sync.Map // transform.FormatSet → "auto:…" key string
	sets    sync.Map // "auto:…" key string → transform.FormatSet
	cheaper sync.Map // "auto:…" key string → cheaperClass
}

// cheaperClass is a memoised answer of Cheaper.
type cheaperClass struct {
	class string
	ok    bool
}

const autoPrefix = "auto:"

func (c *codec) Parse(query string) (Variant, error) {
	if query == "" {
		return Variant{Original: true}, nil
	}
	o, err := transform.ParseChecked(query)
	return variantOf(o, err)
}

// ParseValues implements ValuesParser.
func (c *codec) ParseValues(vals url.Values) (Variant, error) {
	if len(vals) == 0 {
		return Variant{Original: true}, nil
	}
	return variantOf(transform.ParseCheckedValues(vals))
}

// variantOf is the variant of parsed options.
func variantOf(o transform.Checked, err error) (Variant, error) {
	if err != nil {
		return Variant{}, mapTransformError(err)
	}
	if o.IsZero() {
		return Variant{Original: true}, nil
	}
	return Variant{Canonical: o.Canonical(), Format: o.Options().Format.String(), Opts: o}, nil
}

func (c *codec) Negotiate(accept string) string {
	set := transform.ParseAccept(accept)
	if !c.order.Set().Has(transform.JXL) {
		set = set.Without(transform.JXL)
	}
	return c.class(set)
}

// class returns the format part of the variant key for a negotiated
// variant whose client accepts set.
func (c *codec) class(set transform.FormatSet) string {
	if v, ok := c.classes.Load(set); ok {
		return v.(string)
	}
	class := autoPrefix + set.String()
	c.sets.Store(class, set)
	c.classes.Store(set, class)
	return class
}

func (c *codec) Cheaper(format string) (string, bool) {
	if !strings.HasPrefix(format, autoPrefix) {
		return "", false
	}
	if v, ok := c.cheaper.Load(format); ok {
		a := v.(cheaperClass)
		return a.class, a.ok
	}
	set, slow := c.order.Cheaper(c.classSet(format))
	a := cheaperClass{ok: slow}
	if slow {
		a.class = c.class(set)
	}
	c.cheaper.Store(format, a)
	return a.class, a.ok
}

// classSet returns the formats a negotiated variant's class names: the
// set class made it from, or, for a class this codec did not make, the
// set its names spell.
func (c *codec) classSet(format string) transform.FormatSet {
	if set, ok := c.sets.Load(format); ok {
		return set.(transform.FormatSet)
	}
	var set transform.FormatSet
	for _, name := range strings.Split(strings.TrimPrefix(format, autoPrefix), ",") {
		if f, ok := transform.ParseFormat(name); ok {
			set = set.With(f)
		} else if name == "heif" {
			set = set.With(transform.HEIF)
		}
	}
	return set
}

func (c *codec) Transform(ctx context.Context, src transform.Source, v Variant, format string) (Rendered, error) {
	o, err := c.target(v, src, format)
	if err != nil {
		return Rendered{}, err
	}
	var body []byte
	var meta transform.Meta
	if sp, ok := c.p.(transform.SourceProcessor); ok {
		body, meta, err = sp.ProcessSource(ctx, src, o)
	} else {
		body, meta, err = c.p.Process(ctx, src.Bytes(), o.Options())
	}
	if err != nil {
		return Rendered{}, mapTransformError(err)
	}
	return Rendered{Body: body, ContentType: meta.Format.ContentType(), Format: meta.Format.String()}, nil
}

// MakeMaster implements MasterCodec when the processor is a
// transform.MasterProcessor.
func (c *codec) MakeMaster(ctx context.Context, src transform.Source, bound int) (Rendered, transform.Size, error) {
	mp, ok := c.p.(transform.MasterProcessor)
	if !ok {
		return Rendered{}, transform.Size{}, fmt.Errorf("%w: the processor makes no masters", transform.ErrNoMaster)
	}
	body, meta, err := mp.MakeMaster(ctx, src, bound)
	if err != nil {
		if errors.Is(err, transform.ErrNoMaster) {
			return Rendered{}, transform.Size{}, err
		}
		return Rendered{}, transform.Size{}, mapTransformError(err)
	}
	r := Rendered{Body: body, ContentType: meta.Format.ContentType(), Format: meta.Format.String()}
	return r, transform.Size{W: meta.Width, H: meta.Height}, nil
}

// MasterFits implements MasterCodec.
func (c *codec) MasterFits(v Variant, orig, master transform.Size) bool {
	mp, ok := c.p.(transform.MasterProcessor)
	_, err := parsed(v)
	return ok && err == nil && mp.MasterFits(orig, master, v.Opts)
}

// TransformMaster implements MasterCodec. The format is chosen from the
// master's Meta, which decides as the original's would: a master is a
// still, with alpha exactly when the original has it.
func (c *codec) TransformMaster(ctx context.Context, master transform.Source, orig transform.Size, v Variant, format string) (Rendered, error) {
	mp, ok := c.p.(transform.MasterProcessor)
	if !ok {
		return Rendered{}, fmt.Errorf("%w: variant not parsed by this codec", ErrInvalidOption)
	}
	o, err := c.target(v, master, format)
	if err != nil {
		return Rendered{}, err
	}
	body, meta, err := mp.ProcessMaster(ctx, master, orig, o)
	if err != nil {
		return Rendered{}, mapTransformError(err)
	}
	return Rendered{Body: body, ContentType: meta.Format.ContentType(), Format: meta.Format.String()}, nil
}

// parsed returns v's options, refusing a variant no codec parsed.
func parsed(v Variant) (transform.Checked, error) {
	if v.Original || v.Opts == (transform.Checked{}) {
		return transform.Checked{}, fmt.Errorf("%w: variant not parsed by this codec", ErrInvalidOption)
	}
	return v.Opts, nil
}

// target returns v's options with the output format: format itself, or
// for a negotiated variant the format its class (and src's Meta, as
// probed) picks, with Accepts set.
func (c *codec) target(v Variant, src transform.Source, format string) (transform.Checked, error) {
	o, err := parsed(v)
	if err != nil {
		return transform.Checked{}, err
	}
	if src.IsZero() {
		return transform.Checked{}, fmt.Errorf("%w: the source was not probed", ErrUndecodable)
	}
	if !strings.HasPrefix(format, autoPrefix) {
		f, ok := transform.ParseFormat(format)
		if !ok || f == transform.FormatAuto {
			return transform.Checked{}, fmt.Errorf("%w: fm: unknown format", ErrInvalidOption)
		}
		o, err = o.WithFormat(f, 0)
	} else {
		set := c.classSet(format)
		o, err = o.WithFormat(c.order.Choose(set, src.Meta()), set)
	}
	if err != nil {
		return transform.Checked{}, mapTransformError(err)
	}
	return o, nil
}

// mapTransformError wraps a transform error with the edge sentinel that
// picks its status, keeping the transform's user-facing text.
func mapTransformError(err error) error {
	var sentinel error
	switch {
	case errors.Is(err, transform.ErrInvalidOption):
		sentinel = ErrInvalidOption
	case errors.Is(err, transform.ErrUnsupported):
		sentinel = ErrUnsupported
	case errors.Is(err, transform.ErrTooLarge):
		sentinel = ErrSourceTooLarge
	case errors.Is(err, transform.ErrTooManyPixels), errors.Is(err, transform.ErrCorrupt):
		sentinel = ErrUndecodable
	case errors.Is(err, transform.ErrOverloaded):
		sentinel = ErrOverloaded
	default:
		return err // context errors and anything unexpected
	}
	return &codecError{sentinel: sentinel, err: err}
}

// codecError is a transform error classified for the edge. Its text is the
// transform's (safe for clients), and it matches both sentinels.
type codecError struct{ sentinel, err error }

func (e *codecError) Error() string   { return e.err.Error() }
func (e *codecError) Unwrap() []error { return []error{e.sentinel, e.err} }
