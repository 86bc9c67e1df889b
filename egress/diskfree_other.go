//go:build !unix

package egress

import "errors"

// diskFree is not known on this platform: downloads are staged whatever
// the free space.
func diskFree(string) (int64, error) { return 0, errors.ErrUnsupported }
