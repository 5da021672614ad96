// Package libvips implements transform.Processor over libvips 8.14 through
// govips: startup settings, an ordered pipeline of small steps, encoders and
// CPU admission. It knows nothing of HTTP, caches or the cluster, and is the
// only package besides cmd that uses cgo.
//
// Startup (once per process, on the first New): one libvips thread per
// operation, the operation cache off, untrusted operations blocked
// (VIPS_BLOCK_UNTRUSTED) and every loader except JPEG, PNG, WebP, HEIF/AVIF
// and GIF blocked. libvips cannot be restarted, so Close never shuts it down.
//
// Process: options are validated and the source probed from its header and
// checked against Config.Limits before a worker is taken (a decompression
// bomb costs a header read); then a worker slot from a semaphore of
// Config.Workers with a queue of Config.QueueDepth (ErrOverloaded at once
// when full); then the steps in pipeline.go — decode (vips_thumbnail:
// shrink-on-load, EXIF auto-orient, resize), crop, colour (ICC → sRGB,
// CMYK, 16 → 8 bit, grey stays grey), embed, blur, sharpen, rotate, flip,
// flatten, encode, and finally the source itself when it is acceptable,
// unchanged but for the format, and smaller. The context is checked between
// steps; a running libvips operation is not interrupted.
//
// Errors returned to callers carry only the text of a transform sentinel;
// Detail(err) has the step and libvips' message, for logs.
package libvips
