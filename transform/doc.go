// Package transform is the vocabulary of image work: Options (the URL
// transform options, their validation and canonical form), Format and
// content negotiation, Meta and the header-only Probe, source Limits, the
// Processor interface and the sentinel errors every implementation returns.
//
// It is pure Go with no cgo and knows nothing of libvips, URLs beyond the
// option parameters, HTTP or caches; the libvips implementation lives in
// transform/libvips.
//
// The edge's call sequence, each step once per miss:
//
//	opts, err := transform.ParseChecked(query)      // 400 on ErrInvalidOption
//	if opts.IsZero() { serve the original }
//	key := opts.Canonical() + the accepted FormatSet (or the explicit format)
//	src, err := transform.NewSource(fetched original) // probed once
//	opts, err = opts.WithFormat(order.Choose(accepted, src.Meta()), accepted)
//	out, outMeta, err := processor.ProcessSource(ctx, src, opts)
//
// A Source and Checked options can only come from NewSource and Check, so
// a SourceProcessor trusts them; Process, for callers with raw bytes and
// options, probes and checks them itself.
package transform
