package libvips

import "github.com/davidbyttow/govips/v2/vips"

// vipsLoad bypasses Probe to reach libvips' loaders directly.
func vipsLoad(b []byte) (*vips.ImageRef, error) { return vips.NewImageFromBuffer(b) }
