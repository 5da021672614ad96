//go:build !linux

package cachestore

import "os"

// freeBytes is not measured here: writes fail when the disk is full.
func freeBytes(string) (int64, bool) { return 0, false }

// allocate sizes f to n bytes (possibly sparse: no real reserve here).
func allocate(f *os.File, n int64) error { return f.Truncate(n) }

// removed is not known here: the health check finds out.
func removed(*os.File) bool { return false }
