package libvips

// blur applies a Gaussian blur of sigma Options.Blur.
func blur(j *job) error {
	if j.opts.Blur == 0 {
		return nil
	}
	if err := j.img.GaussianBlur(j.opts.Blur); err != nil {
		return corrupt("blur", err)
	}
	return nil
}

// Sharpening curve of vips_sharpen: flat areas (below x1) untouched, edges
// sharpened with slope m2. These are libvips' defaults.
const sharpenX1, sharpenM2 = 2.0, 3.0

// sharpen applies an unsharp mask of sigma Options.Sharpen.
func sharpen(j *job) error {
	if j.opts.Sharpen == 0 {
		return nil
	}
	if err := j.img.Sharpen(j.opts.Sharpen, sharpenX1, sharpenM2); err != nil {
		return corrupt("sharpen", err)
	}
	return nil
}
