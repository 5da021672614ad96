package libvips

// #cgo pkg-config: vips
// #include <vips/vips.h>
import "C"

import "unsafe"

// allowedLoaders are the only libvips load operations left enabled. Every
// other loader (SVG, PDF, TIFF, magick, matrix, …) is blocked, on top of
// vips_block_untrusted_set, so a sniffing mistake cannot reach it.
var allowedLoaders = []string{
	"VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadWebp",
	"VipsForeignLoadHeif", "VipsForeignLoadNsgif",
}

// allowedSavers are savers that libvips marks untrusted but pixcdn needs:
// they only ever see pixels the pipeline rendered, never client bytes.
var allowedSavers = []string{"VipsForeignSaveJxl"}

// blockLoaders blocks untrusted operations and every loader but ours, and
// re-enables the savers we use. It must run once, after vips_init.
func blockLoaders() {
	C.vips_block_untrusted_set(C.TRUE)
	setBlocked("VipsForeignLoad", true)
	for _, name := range append(allowedLoaders, allowedSavers...) {
		setBlocked(name, false)
	}
}

func setBlocked(name string, blocked bool) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	state := C.gboolean(C.FALSE)
	if blocked {
		state = C.TRUE
	}
	C.vips_operation_block_set(cs, state)
}
