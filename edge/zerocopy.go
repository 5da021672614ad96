package edge

import "unsafe"

// b2s views b as a string without copying; b must not change while the
// string is in use, and the string must not outlive the handler.
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// s2b views s as bytes without copying; the bytes must not be modified.
func s2b(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
