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
	dir, opts, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return Open(dir, opts...)
}

// OpenURLReadOnly opens, with OpenReadOnly, the existing store a file URL
// names (the grammar of OpenURL; max_bytes is accepted and ignored): it
// creates nothing, and every write fails with an error wrapping
// kv.ErrReadOnly.
func OpenURLReadOnly(ctx context.Context, u *url.URL) (*Store, error) {
	dir, opts, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return OpenReadOnly(dir, opts...)
}

// parseURL returns the directory and options a file URL names.
func parseURL(u *url.URL) (string, []Option, error) {
	dir, q, err := storekit.PathParams(u, "max_bytes", "sync")
	if err != nil {
		return "", nil, err
	}
	var opts []Option
	if n, ok, err := storekit.IntParam(u, q, "max_bytes"); err != nil {
		return "", nil, err
	} else if ok {
		opts = append(opts, WithMaxBytes(n))
	}
	if b, ok, err := storekit.BoolParam(u, q, "sync"); err != nil {
		return "", nil, err
	} else if ok {
		opts = append(opts, WithSync(b))
	}
	return dir, opts, nil
}
