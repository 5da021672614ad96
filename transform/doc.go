// Package transform is the vocabulary of image work: Options (the URL
// transform options, their validation and canonical form), Format and
// content negotiation, Meta and the header-only Probe, source Limits, the
// Processor interface and the sentinel errors every implementation returns.
//
// It is pure Go with no cgo and knows nothing of libvips, URLs beyond the
// option parameters, HTTP or caches; the libvips implementation lives in
// transform/libvips.
//
// The edge's call sequence is:
//
//	opts, err := transform.Parse(query)             // 400 on ErrInvalidOption
//	if opts.IsZero() { serve the original }
//	src := fetch original; meta, err := transform.Probe(src)
//	opts.Format = transform.Negotiate(accept, meta, opts.Format)
//	opts.Accepts = transform.ParseAccept(accept)    // only if Format was auto
//	key := opts.Canonical() + Format (+ opts.Accepts.Has(meta.Format))
//	out, outMeta, err := processor.Process(ctx, src, opts)
package transform
