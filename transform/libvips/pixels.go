package libvips

import (
	"errors"

	"github.com/davidbyttow/govips/v2/vips"
)

// pixelBuffer is an image rendered to 8-bit interleaved pixels, for the
// encoders that govips cannot drive with the settings they need.
type pixelBuffer struct {
	pixels               []byte // Go memory, width×height×bands bytes
	width, height, bands int
}

// renderPixels renders img (8-bit, 1..4 bands) to memory. what names the
// encoder in errors.
func renderPixels(img *vips.ImageRef, what string) (pixelBuffer, error) {
	if img.BandFormat() != vips.BandFormatUchar {
		return pixelBuffer{}, errors.New(what + ": pixels are not 8-bit")
	}
	pixels, err := img.ToBytes()
	if err != nil {
		return pixelBuffer{}, err
	}
	b := pixelBuffer{pixels: pixels, width: img.Width(), height: img.Height(), bands: img.Bands()}
	if len(pixels) != b.width*b.height*b.bands || len(pixels) == 0 || b.bands > 4 {
		return pixelBuffer{}, errors.New(what + ": unexpected pixel buffer size")
	}
	return b, nil
}
