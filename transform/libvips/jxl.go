package libvips

// #cgo pkg-config: vips
// #include <stdlib.h>
// #include <vips/vips.h>
//
// /* jxl_save encodes 8-bit pixels (1..4 bands) with jxlsave. govips sets
//  * distance whenever it sets Q, and jxlsave then ignores Q, and it cannot
//  * strip metadata; this passes Q (libvips maps it to a butteraugli
//  * distance as cjxl does), effort and strip only. */
// static int jxl_save(void *pixels, size_t size, int width, int height,
//     int bands, int quality, int effort, void **out, size_t *out_len) {
//   VipsImage *img = vips_image_new_from_memory(pixels, size, width, height,
//       bands, VIPS_FORMAT_UCHAR);
//   if (!img)
//     return -1;
//   img->Type = bands <= 2 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
//   int r = vips_jxlsave_buffer(img, out, out_len, "Q", quality,
//       "effort", effort, "strip", TRUE, NULL);
//   g_object_unref(img);
//   return r;
// }
//
// static const char *error_text(void) { return vips_error_buffer(); }
import "C"

import (
	"errors"
	"runtime"
	"unsafe"

	"github.com/davidbyttow/govips/v2/vips"
)

// exportJXL renders img to 8-bit pixels and encodes them as a JPEG XL
// codestream with the given quality (1..100) and effort (1 fastest ..9).
// The returned slice is Go memory owned by the caller.
func exportJXL(img *vips.ImageRef, quality, effort int) ([]byte, error) {
	b, err := renderPixels(img, "jxl")
	if err != nil {
		return nil, err
	}
	var out unsafe.Pointer
	var outLen C.size_t
	rc := C.jxl_save(unsafe.Pointer(&b.pixels[0]), C.size_t(len(b.pixels)), C.int(b.width), C.int(b.height),
		C.int(b.bands), C.int(quality), C.int(effort), &out, &outLen)
	runtime.KeepAlive(b.pixels)
	if rc != 0 {
		return nil, errors.New("jxl: " + takeVipsError())
	}
	defer C.g_free(C.gpointer(out))
	return C.GoBytes(out, C.int(outLen)), nil
}

// takeVipsError returns and clears libvips' error buffer (per thread).
func takeVipsError() string {
	msg := C.GoString(C.error_text())
	C.vips_error_clear()
	return msg
}
