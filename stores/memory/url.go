package memory

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"

	"github.com/kvkit/kv/internal/storekit"
)

// OpenURL returns a fresh byte store for a memory URL: "memory:", with
// max_entries=N for WithMaxEntries. ctx is not used (nothing to connect
// to); it is there so that every backend's OpenURL has one shape. An
// unusable URL gives an error wrapping stores.ErrInvalidURL.
func OpenURL(ctx context.Context, u *url.URL) (*Store[string, []byte], error) {
	if (u.Opaque != "" && u.Opaque != "/") || u.Host != "" || (u.Path != "" && u.Path != "/") {
		return nil, storekit.Invalid(u, "a memory URL has no host or path (memory:)")
	}
	q, err := storekit.Params(u, "max_entries")
	if err != nil {
		return nil, err
	}
	var opts []Option
	if n, ok, err := storekit.IntParam(u, q, "max_entries"); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, WithMaxEntries(int(n)))
	}
	return New[string, []byte](opts...), nil
}

// OpenURLReadOnly checks a memory URL as OpenURL does, then fails with an
// error wrapping fs.ErrNotExist: a memory URL names a store that is new
// and empty on every open, so there is never an existing one to read (an
// empty read-only store would only hide the mistake of reading one).
func OpenURLReadOnly(ctx context.Context, u *url.URL) (*Store[string, []byte], error) {
	s, err := OpenURL(ctx, u)
	if err != nil {
		return nil, err
	}
	s.Close()
	return nil, fmt.Errorf("a memory store exists only in the program that made it: %w", fs.ErrNotExist)
}
