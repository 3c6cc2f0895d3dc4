package sqlite

import (
	"context"
	"net/url"
	"strings"

	"github.com/kvkit/kv/internal/storekit"
)

// OpenURL opens a store (Open) on the database file a sqlite URL names:
//
//	sqlite:///var/cache/app.db?table=pages   an absolute path
//	sqlite://~/cache.db                      under the home directory
//	sqlite:cache.db                          relative to the working directory
//
// table is WithTable; parameters starting with "_" (_pragma, _txlock,
// ...) are the driver's own and go to WithDSNParams. ctx is not used
// (opening a file does not wait on a peer); it is there so that every
// backend's OpenURL has one shape. An unusable URL gives an error
// wrapping stores.ErrInvalidURL.
func OpenURL(ctx context.Context, u *url.URL) (*Store, error) {
	p, opts, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return Open(p, opts...)
}

// OpenURLReadOnly opens, with OpenReadOnly, the existing database file a
// sqlite URL names (the grammar of OpenURL): it creates nothing, and
// every write fails with an error wrapping kv.ErrReadOnly.
func OpenURLReadOnly(ctx context.Context, u *url.URL) (*Store, error) {
	p, opts, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return OpenReadOnly(p, opts...)
}

// parseURL returns the path and options a sqlite URL names.
func parseURL(u *url.URL) (string, []Option, error) {
	q := u.Query()
	var opts []Option
	dsn := url.Values{}
	for k, v := range q {
		switch {
		case k == "table":
		case strings.HasPrefix(k, "_"): // the driver's own DSN parameters
			dsn[k] = v
		default:
			return "", nil, storekit.Invalid(u, "unknown parameter %q (sqlite takes: table, and the driver's _pragma, _txlock, ...)", k)
		}
	}
	if t := q.Get("table"); t != "" {
		opts = append(opts, WithTable(t))
	}
	if len(dsn) > 0 {
		opts = append(opts, WithDSNParams(dsn))
	}
	p, err := storekit.Path(u)
	if err != nil {
		return "", nil, err
	}
	return p, opts, nil
}
