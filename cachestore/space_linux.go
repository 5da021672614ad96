package cachestore

import (
	"os"

	"golang.org/x/sys/unix"
)

// freeBytes returns the bytes an unprivileged writer may still use in the
// file system holding dir.
func freeBytes(dir string) (int64, bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}

// allocate gives f n bytes of real blocks (not a sparse hole).
func allocate(f *os.File, n int64) error {
	for {
		err := unix.Fallocate(int(f.Fd()), 0, 0, n)
		if err != unix.EINTR {
			return err
		}
	}
}

// removed reports whether the directory open as f has been removed (its
// link count dropped to zero).
func removed(f *os.File) bool {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return true
	}
	return st.Nlink == 0
}
