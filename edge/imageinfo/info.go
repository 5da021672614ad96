package imageinfo

import (
	"encoding/json"
	"image"

	"pixcdn/transform"
)

// ThumbQuery is the option query of the thumbnail Describe reads the
// colours from: at most ThumbSide pixels a side, aspect kept, never
// enlarged, as lossless PNG (alpha kept).
const ThumbQuery = "fm=png&h=32&w=32"

// ThumbSide bounds the thumbnail's sides; Describe reads at most
// ThumbSide×ThumbSide pixels of any image it is given, so its work is
// bounded whatever the caller passes.
const ThumbSide = 32

// ContentType is the media type of an encoded Info.
const ContentType = "application/json"

// Info describes one version of an original image.
type Info struct {
	// Width and Height are in pixels as displayed (EXIF orientation
	// applied); one frame of an animation.
	Width  int `json:"width"`
	Height int `json:"height"`
	// Format is the source format ("jpeg", "png", "webp", "avif", "heif",
	// "gif").
	Format string `json:"format"`
	// Bytes is the length of the original.
	Bytes int `json:"bytes"`
	// Orientation is the EXIF orientation of the stored pixels, 1..8 (1:
	// none).
	Orientation int `json:"orientation"`
	// HasAlpha reports that the format carries transparency.
	HasAlpha bool `json:"has_alpha"`
	// Frames is 1 for a still image.
	Frames int `json:"frames"`
	// Average is the mean colour of the opaque pixels, "#rrggbb".
	Average string `json:"average"`
	// Dominant are up to MaxDominant colours, most of the image first; empty
	// for a fully transparent image.
	Dominant []Colour `json:"dominant"`
	// Placeholder is a tiny blurred copy of the image.
	Placeholder Placeholder `json:"placeholder"`
}

// Colour is one dominant colour and the share of the opaque pixels closest
// to it (0..1).
type Colour struct {
	Hex   string  `json:"color"`
	Share float64 `json:"share"`
}

// Placeholder is a blurred image of at most PlaceholderSide pixels a side,
// in the image's aspect ratio, ready for an <img src> or a CSS url() while
// the real image loads (scale it up; browsers smooth it).
type Placeholder struct {
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	DataURI string `json:"data_uri"` // data:image/png;base64,…
}

// Describe returns the Info of a source described by meta whose pixels
// thumb shows (normally the ThumbQuery thumbnail). A thumb larger than
// ThumbSide a side is read through its top-left ThumbSide×ThumbSide pixels
// only. Describe is pure and safe for concurrent use.
func Describe(meta transform.Meta, thumb image.Image) Info {
	px := readPixels(thumb)
	return Info{
		Width: meta.Width, Height: meta.Height, Format: meta.Format.String(), Bytes: meta.Bytes,
		Orientation: max(meta.Orientation, 1), HasAlpha: meta.HasAlpha, Frames: max(meta.Frames, 1),
		Average: px.average().hex(), Dominant: dominant(px), Placeholder: placeholder(px),
	}
}

// Encode returns info as JSON.
func Encode(info Info) []byte {
	b, err := json.Marshal(info)
	if err != nil { // only plain fields: cannot happen
		panic(err)
	}
	return b
}
