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

// blockLoaders blocks untrusted operations and every loader but ours. It must
// run once, after vips_init.
func blockLoaders() {
	C.vips_block_untrusted_set(C.TRUE)
	setBlocked("VipsForeignLoad", true)
	for _, name := range allowedLoaders {
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
