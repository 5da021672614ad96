package localserver

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"syscall"
)

// reachableBy reports whether the user of cred can traverse every existing
// folder on the way to dir (search permission on each ancestor).
func reachableBy(dir string, cred *syscall.Credential) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
		if !searchable(p, cred) {
			return false
		}
		if p == filepath.Dir(p) {
			return true
		}
	}
}

func searchable(dir string, cred *syscall.Credential) bool {
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		return !os.IsPermission(err) // a folder yet to be made is made by us
	}
	mode := st.Mode
	switch {
	case st.Uid == cred.Uid:
		return mode&0o100 != 0
	case st.Gid == cred.Gid:
		return mode&0o010 != 0
	default:
		return mode&0o001 != 0
	}
}

// unreachableFallback is the folder used instead of dir when the server's
// user cannot reach dir: stable for the same dir, under /var/tmp, which
// survives reboots.
func unreachableFallback(dir string) string {
	abs, _ := filepath.Abs(dir)
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join("/var/tmp", "pixcdn-postgres-"+hex.EncodeToString(sum[:6]))
}
