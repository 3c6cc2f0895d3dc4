package mongo

import (
	"context"
	"net/url"
	"strings"

	"github.com/kvkit/kv/internal/storekit"
)

// OpenURL opens a store (Open) on the server a mongodb:// or
// mongodb+srv:// URL names:
//
//	mongodb://user:pass@host:27017/db?collection=pages&authSource=admin
//
// The path names the database (default "kv"), collection the collection
// (WithCollection); every other parameter goes to the driver as part of
// its connection string. An unusable URL gives an error wrapping
// stores.ErrInvalidURL.
func OpenURL(ctx context.Context, u *url.URL) (*Store, error) {
	uri, db, opts, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return Open(ctx, uri, db, opts...)
}

// OpenURLReadOnly opens, with OpenReadOnly, the existing collection a
// mongodb URL names (the grammar of OpenURL): it creates nothing, and
// every write fails with an error wrapping kv.ErrReadOnly.
func OpenURLReadOnly(ctx context.Context, u *url.URL) (*Store, error) {
	uri, db, opts, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return OpenReadOnly(ctx, uri, db, opts...)
}

// parseURL returns the connection string, the database and the options a
// mongodb URL names.
func parseURL(u *url.URL) (uri, db string, opts []Option, err error) {
	if err := storekit.Hierarchical(u); err != nil {
		return "", "", nil, err
	}
	q := u.Query()
	db = strings.Trim(u.Path, "/")
	if strings.Contains(db, "/") {
		return "", "", nil, storekit.Invalid(u, "path %q: name one database (mongodb://host/db)", u.Path)
	}
	if db == "" {
		db = "kv"
	}
	if c := q.Get("collection"); c != "" {
		opts = append(opts, WithCollection(c))
	}
	q.Del("collection")
	clean := *u
	clean.RawQuery = q.Encode()
	return clean.String(), db, opts, nil
}
