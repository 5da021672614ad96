// Package testimage encodes images for tests: the one home of the small
// encoders that fixtures share. Pure Go; it never fails a caller quietly.
package testimage

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"testing"
)

// PNG encodes img as PNG with the default settings, failing t on error.
func PNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// JPEG encodes img as JPEG at quality (1..100; jpeg.DefaultQuality is
// 75), failing t on error.
func JPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
