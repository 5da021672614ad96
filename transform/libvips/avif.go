package libvips

// #cgo pkg-config: vips
// #include <stdlib.h>
// #include <vips/vips.h>
//
// /* avif_save encodes 8-bit pixels (1..4 bands) with heifsave. govips
//  * cannot pass effort 0 (AV1 speed 9), which the cold path needs. */
// static int avif_save(void *pixels, size_t size, int width, int height,
//     int bands, int quality, int effort, void **out, size_t *out_len) {
//   VipsImage *img = vips_image_new_from_memory(pixels, size, width, height,
//       bands, VIPS_FORMAT_UCHAR);
//   if (!img)
//     return -1;
//   img->Type = bands <= 2 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
//   int r = vips_heifsave_buffer(img, out, out_len, "Q", quality,
//       "effort", effort, "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1,
//       "bitdepth", 8, "strip", TRUE, NULL);
//   g_object_unref(img);
//   return r;
// }
import "C"

import (
	"errors"
	"runtime"
	"unsafe"

	"github.com/davidbyttow/govips/v2/vips"
)

// exportAVIF renders img to 8-bit pixels and encodes them as AVIF with the
// given quality (1..100) and effort (0 fastest ..9). The returned slice is
// Go memory owned by the caller.
func exportAVIF(img *vips.ImageRef, quality, effort int) ([]byte, error) {
	b, err := renderPixels(img, "avif")
	if err != nil {
		return nil, err
	}
	var out unsafe.Pointer
	var outLen C.size_t
	rc := C.avif_save(unsafe.Pointer(&b.pixels[0]), C.size_t(len(b.pixels)), C.int(b.width), C.int(b.height),
		C.int(b.bands), C.int(quality), C.int(effort), &out, &outLen)
	runtime.KeepAlive(b.pixels)
	if rc != 0 {
		return nil, errors.New("avif: " + takeVipsError())
	}
	defer C.g_free(C.gpointer(out))
	return C.GoBytes(out, C.int(outLen)), nil
}
