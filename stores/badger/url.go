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
	dir, opts, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return Open(dir, opts...)
}

// OpenURLReadOnly opens, with OpenReadOnly, the existing badger DB a
// badger URL names (the grammar of OpenURL): it creates nothing, and
// every write fails with an error wrapping kv.ErrReadOnly.
func OpenURLReadOnly(ctx context.Context, u *url.URL) (*Store, error) {
	dir, opts, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return OpenReadOnly(dir, opts...)
}

// parseURL returns the directory and options a badger URL names.
func parseURL(u *url.URL) (string, []Option, error) {
	dir, q, err := storekit.PathParams(u, "prefix")
	if err != nil {
		return "", nil, err
	}
	var opts []Option
	if p := q.Get("prefix"); p != "" {
		opts = append(opts, WithPrefix(p))
	}
	return dir, opts, nil
}
