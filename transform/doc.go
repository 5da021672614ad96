// Package transform is the vocabulary of image work: Options, Format, Meta,
// the Processor interface, format negotiation and sentinel errors. It is pure
// Go with no cgo; the libvips implementation lives in transform/libvips.
package transform
