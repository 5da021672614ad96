package libvips

// preferSource returns the source bytes instead of the encoding when the
// caller allowed it (Options.Accepts has the source format), nothing but the
// format would change (same size and frames, no blur/sharpen/rotate/flip, no
// EXIF orientation to apply) and the source is no larger. A master is
// never served: it is not the original the caller asked for.
func preferSource(j *job) error {
	in, out := j.in, j.meta
	switch {
	case j.fromMaster:
		return nil
	case !j.opts.Accepts.Has(in.Format),
		j.opts.HasPixelOps(),
		in.Orientation != 0,
		in.Width != out.Width || in.Height != out.Height,
		in.Frames != out.Frames,
		len(j.src) > len(j.out):
		return nil
	}
	j.out, j.meta = j.src, in
	return nil
}
