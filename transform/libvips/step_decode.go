package libvips

import (
	"errors"

	"github.com/davidbyttow/govips/v2/vips"
)

// decode runs vips_thumbnail on the source buffer with the job's plan:
// shrink-on-load (JPEG DCT scaling, WebP/HEIF scaled decode), EXIF
// auto-orientation and the resize of the plan, in one libvips operation.
// Animations keep every frame only when the output can animate.
func decode(j *job) error {
	params := vips.NewImportParams() // fail on decode errors: truncated data is ErrCorrupt
	if j.animated {
		params.NumPages.Set(-1)
	}
	p := j.plan
	img, err := vips.LoadThumbnailFromBuffer(j.src, p.thumbW, p.thumbH, p.crop, p.size, params)
	if err != nil {
		if errors.Is(err, vips.ErrUnsupportedImageFormat) {
			return unsupported("decode", err)
		}
		return corrupt("decode", err)
	}
	j.replace(img)
	if img.Width() <= 0 || img.Height() <= 0 {
		return corrupt("decode", errors.New("empty image"))
	}
	if !j.animated && img.Pages() > 1 {
		// One frame was loaded; govips reads n-pages as the frame count.
		if err := img.SetPages(1); err != nil {
			return corrupt("decode", err)
		}
	}
	return nil
}
