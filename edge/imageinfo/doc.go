// Package imageinfo owns Info, the JSON an edge answers to
// GET /{tenant}/{public_id}?info: the original's size, format, bytes,
// orientation and alpha (from transform.Probe), and what its pixels look
// like — the average colour, a few dominant colours and a tiny blurred PNG
// placeholder as a data: URI — read from a small thumbnail (ThumbQuery)
// that the edge has its codec make, under the usual transform limits.
//
// It is pure Go and knows nothing of HTTP, caches or libvips: Describe is a
// pure function of its inputs, with work bounded by the thumbnail's size.
package imageinfo
