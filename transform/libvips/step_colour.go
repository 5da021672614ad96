package libvips

import (
	"github.com/davidbyttow/govips/v2/vips"

	"pixcdn/transform"
)

// Built-in libvips profile names (vips_icc_transform accepts them in place of
// a file).
const (
	profileSRGB = "srgb"
	profileCMYK = "cmyk"
)

// toSRGB brings the image to 8-bit sRGB, or 8-bit grey for greyscale
// sources: embedded ICC profiles are converted to sRGB (CMYK without one via
// libvips' built-in CMYK profile), 16-bit becomes 8-bit. The profile itself
// is then dropped with the rest of the metadata when encoding.
func toSRGB(j *job) error {
	img := j.img
	grey := isGrey(img.Interpretation())
	if !grey && (img.HasICCProfile() || img.Interpretation() == vips.InterpretationCMYK) {
		if err := importProfile(img); err != nil {
			return corrupt("colour", err)
		}
	}
	target := vips.InterpretationSRGB
	if grey {
		target = vips.InterpretationBW
	}
	if img.Interpretation() != target || img.BandFormat() != vips.BandFormatUchar {
		if err := img.ToColorSpace(target); err != nil {
			return corrupt("colour", err)
		}
	}
	if img.BandFormat() != vips.BandFormatUchar {
		if err := img.Cast(vips.BandFormatUchar); err != nil {
			return corrupt("colour", err)
		}
	}
	return nil
}

// importProfile converts from the embedded profile (or the built-in CMYK
// one) to sRGB. An embedded profile lcms cannot use is dropped and the
// conversion retried with the fallback, rather than refusing the image.
func importProfile(img *vips.ImageRef) error {
	err := img.TransformICCProfileWithFallback(profileSRGB, fallbackProfile(img))
	if err == nil || !img.HasICCProfile() {
		return err
	}
	if err := img.RemoveICCProfile(); err != nil {
		return err
	}
	if img.Interpretation() != vips.InterpretationCMYK {
		return nil // untagged RGB is taken as sRGB
	}
	return img.TransformICCProfileWithFallback(profileSRGB, profileCMYK)
}

func isGrey(i vips.Interpretation) bool {
	return i == vips.InterpretationBW || i == vips.InterpretationGrey16
}

func fallbackProfile(img *vips.ImageRef) string {
	if img.Interpretation() == vips.InterpretationCMYK {
		return profileCMYK
	}
	return profileSRGB
}

// background returns the options' background, White when unset.
func background(o transform.Options) transform.Color {
	if o.Background.Set {
		return o.Background
	}
	return transform.White
}

// flatten composes alpha onto the background for output formats without
// alpha (JPEG). Greyscale stays greyscale when the background is grey.
func flatten(j *job) error {
	if j.opts.Format.SupportsAlpha() || !j.img.HasAlpha() {
		return nil
	}
	bg := background(j.opts)
	greyBG := bg.R == bg.G && bg.G == bg.B
	wasGrey := isGrey(j.img.Interpretation())
	if wasGrey { // vips_flatten wants one background value per colour band
		if err := j.img.ToColorSpace(vips.InterpretationSRGB); err != nil {
			return corrupt("flatten", err)
		}
	}
	if err := j.img.Flatten(&vips.Color{R: bg.R, G: bg.G, B: bg.B}); err != nil {
		return corrupt("flatten", err)
	}
	if wasGrey && greyBG {
		if err := j.img.ToColorSpace(vips.InterpretationBW); err != nil {
			return corrupt("flatten", err)
		}
	}
	return nil
}
