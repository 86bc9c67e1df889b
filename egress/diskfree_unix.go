//go:build unix

package egress

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// diskFree returns the bytes an unprivileged writer may still use on the
// file system of path (or of its nearest existing parent).
func diskFree(path string) (int64, error) {
	for {
		var st syscall.Statfs_t
		err := syscall.Statfs(path, &st)
		if err == nil {
			return int64(st.Bavail) * int64(st.Bsize), nil // the fields' types differ by platform
		}
		parent := filepath.Dir(path)
		if !errors.Is(err, os.ErrNotExist) || parent == path {
			return 0, err
		}
		path = parent
	}
}
