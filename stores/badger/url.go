package badger

import (
	"context"
	"net/url"

	"github.com/kvkit/kv/internal/storekit"
)

// OpenURL opens a store (Open) on the badger directory a badger URL
// names:
//
//	badger:///var/cache/app?prefix=pages   an absolute path
//	badger://~/cache                       under the home directory
//	badger:cache                           relative to the working directory
//
// prefix is WithPrefix. ctx is not used (opening a directory does not
// wait on a peer); it is there so that every backend's OpenURL has one
// shape. An unusable URL gives an error wrapping stores.ErrInvalidURL.
func OpenURL(ctx context.Context, u *url.URL) (*Store, error) {
	dir, q, err := storekit.PathParams(u, "prefix")
	if err != nil {
		return nil, err
	}
	var opts []Option
	if p := q.Get("prefix"); p != "" {
		opts = append(opts, WithPrefix(p))
	}
	return Open(dir, opts...)
}

// OpenURLReadOnly opens the existing store a URL names (the grammar of
// OpenURL) for reading only: it creates nothing, and every write fails
// with an error wrapping kv.ErrReadOnly (see stores.OpenReadOnly).
func OpenURLReadOnly(ctx context.Context, u *url.URL) (*Store, error) {
	return nil, storekit.Invalid(u, "read-only open not implemented yet")
}
