//go:build !linux

package cachestore

import "os"

// startWriteback does nothing where sync_file_range is not available.
func startWriteback(*os.File) {}
