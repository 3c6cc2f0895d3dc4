// Package stores opens any kv backend from a URL, so that a program (or
// the kvcache command) can take its store as configuration:
//
//	memory:                                   a fresh in-memory store
//	file:///var/cache/app?max_bytes=1e9       stores/file in a directory
//	sqlite:///var/cache/app.db?table=pages    stores/sqlite, one table of a database file
//	badger:///var/cache/app?prefix=pages      stores/badger in a directory
//	redis://user:pass@host:6379/0?prefix=app  stores/redis (rediss:// for TLS)
//	redis://h1:7000,h2:7001,h3:7002?prefix=a  stores/redis on a cluster (or ?addr=h2:7001&addr=...)
//	mongodb://host:27017/db?collection=pages  stores/mongo (mongodb+srv:// too)
//	dynamodb://table?region=eu-west-1         stores/dynamodb (endpoint=http://... for a local server)
//	postgres://u:p@host:5432/db?table=pages   stores/postgres (postgresql:// too; sslmode=..., see postgres.OpenURL)
//
// A path may start with "~" for the home directory (file://~/cache,
// sqlite://~/cache.db). Relative paths are written without the slashes
// (file:cache, sqlite:cache.db).
//
// Each backend owns its grammar: the OpenURL function of its package
// (file.OpenURL, redis.OpenURL, ...) documents the parameters and maps
// them to the backend's options; Open only picks the backend by scheme.
//
// OpenReadOnly opens an existing store for reading and never creates
// anything, so that a program that only inspects a store (kvcache ls,
// stats, copy --from) cannot turn a mistyped path into an empty database.
// Each backend does it in its OpenURLReadOnly, natively where it can
// (SQLite mode=ro, badger's ReadOnly, PostgreSQL read-only transactions).
// The writes of the store it returns are refused by the backend's own
// methods (storekit's BeginWrite guard), not by a wrapper: the store is
// the backend's own type, so it has exactly the optional interfaces the
// same URL has from Open, and a type assertion on it to the backend's
// *Store still works.
//
// This package imports every backend: a program that wants one backend
// imports that backend's package instead. No library package imports it.
package stores

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
	"github.com/kvkit/kv/stores/badger"
	"github.com/kvkit/kv/stores/dynamodb"
	"github.com/kvkit/kv/stores/file"
	"github.com/kvkit/kv/stores/memory"
	"github.com/kvkit/kv/stores/mongo"
	"github.com/kvkit/kv/stores/postgres"
	"github.com/kvkit/kv/stores/redis"
	"github.com/kvkit/kv/stores/sqlite"
)

// ErrInvalidURL is wrapped by every error Open (and every backend's
// OpenURL) returns for a URL it cannot use, as opposed to a store that
// fails to open.
var ErrInvalidURL = storekit.ErrInvalidURL

// Schemes lists the URL schemes Open knows.
func Schemes() []string {
	return []string{"memory", "file", "sqlite", "badger", "redis", "rediss", "mongodb", "mongodb+srv", "dynamodb", "postgres", "postgresql"}
}

// Open opens the byte store that rawURL names (see the package doc). The
// caller closes it. Errors name the URL with its credentials redacted; an
// unusable URL gives an error wrapping ErrInvalidURL.
func Open(ctx context.Context, rawURL string) (kv.Store[string, []byte], error) {
	return open(ctx, rawURL, false)
}

// OpenReadOnly opens the byte store that rawURL names for reading only,
// and never creates anything: no file, directory, database, table,
// collection, index or bucket. The caller closes it.
//
// The location must exist: a missing file, directory, table or
// collection gives an error wrapping fs.ErrNotExist that names the URL
// with its credentials redacted, and so does an existing empty file
// where a database was expected (it is left as it was). Each backend
// opens natively read-only where it can (SQLite with mode=ro, badger
// with its ReadOnly option); every write (Set, Delete, Clear, SetMany,
// DeleteMany, the conditional writes, a backend's own DeleteExpired or
// GC) fails with an error wrapping kv.ErrReadOnly and changes nothing.
// Reads, Len, Keys, All and the read-side capabilities (GetMany, Scan,
// ScanKeys) work as on a store from Open, and the store has exactly the
// optional interfaces the same URL has from Open.
//
// A memory: URL names a store that is new and empty on every open, so
// there is never an existing one to read: OpenReadOnly fails for it with
// an error wrapping fs.ErrNotExist (a read-only empty store would only
// hide the mistake). An unusable URL gives an error wrapping
// ErrInvalidURL.
func OpenReadOnly(ctx context.Context, rawURL string) (kv.Store[string, []byte], error) {
	return open(ctx, rawURL, true)
}

// open is Open, or OpenReadOnly when readOnly.
func open(ctx context.Context, rawURL string, readOnly bool) (kv.Store[string, []byte], error) {
	u, err := parse(rawURL)
	if err != nil {
		return nil, err
	}
	s, err := openScheme(ctx, u, readOnly)
	if err != nil {
		if errors.Is(err, ErrInvalidURL) {
			return nil, err
		}
		how := ""
		if readOnly {
			how = " read-only"
		}
		return nil, fmt.Errorf("stores: open %s%s: %w", Redact(u.String()), how, err)
	}
	return s, nil
}

// openScheme calls the OpenURL (or OpenURLReadOnly) of the backend of
// u's scheme.
func openScheme(ctx context.Context, u *url.URL, readOnly bool) (kv.Store[string, []byte], error) {
	switch u.Scheme {
	case "memory":
		return pick(ctx, u, readOnly, memory.OpenURL, memory.OpenURLReadOnly)
	case "file":
		return pick(ctx, u, readOnly, file.OpenURL, file.OpenURLReadOnly)
	case "sqlite":
		return pick(ctx, u, readOnly, sqlite.OpenURL, sqlite.OpenURLReadOnly)
	case "badger":
		return pick(ctx, u, readOnly, badger.OpenURL, badger.OpenURLReadOnly)
	case "redis", "rediss":
		return pick(ctx, u, readOnly, redis.OpenURL, redis.OpenURLReadOnly)
	case "mongodb", "mongodb+srv":
		return pick(ctx, u, readOnly, mongo.OpenURL, mongo.OpenURLReadOnly)
	case "dynamodb":
		return pick(ctx, u, readOnly, dynamodb.OpenURL, dynamodb.OpenURLReadOnly)
	case "postgres", "postgresql":
		return pick(ctx, u, readOnly, postgres.OpenURL, postgres.OpenURLReadOnly)
	}
	return nil, storekit.Invalid(u, "unknown scheme %q (known: %s)", u.Scheme, strings.Join(Schemes(), ", "))
}

// pick calls a backend's OpenURL, or its OpenURLReadOnly when readOnly,
// and turns the backend's own *Store into a byte store; a new backend's
// case in openScheme is one more line of the same form.
func pick[S kv.Store[string, []byte]](ctx context.Context, u *url.URL, readOnly bool, rw, ro func(context.Context, *url.URL) (S, error)) (kv.Store[string, []byte], error) {
	f := rw
	if readOnly {
		f = ro
	}
	s, err := f(ctx, u)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// parse splits a store URL. A redis URL goes through redis.ParseURL,
// which takes the cluster form redis://h1:p1,h2:p2/...
func parse(rawURL string) (*url.URL, error) {
	if rawURL == "" {
		return nil, fmt.Errorf("stores: empty URL: %w", ErrInvalidURL)
	}
	scheme, _, ok := strings.Cut(rawURL, ":")
	if !ok || scheme == "" {
		return nil, fmt.Errorf("stores: %q has no scheme (known: %s): %w", Redact(rawURL), strings.Join(Schemes(), ", "), ErrInvalidURL)
	}
	if scheme == "redis" || scheme == "rediss" {
		return redis.ParseURL(rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("stores: %s: %w", Redact(rawURL), errors.Join(ErrInvalidURL, err))
	}
	return u, nil
}

// Redact returns rawURL with its password and the values of query
// parameters that look secret (password, secret, token, key, ...) replaced
// by "xxxxx", for logs and error messages.
func Redact(rawURL string) string { return storekit.Redact(rawURL) }
