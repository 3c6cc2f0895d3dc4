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
	u, err := parse(rawURL)
	if err != nil {
		return nil, err
	}
	var s kv.Store[string, []byte]
	switch u.Scheme {
	case "memory":
		s, err = byteStore(memory.OpenURL(ctx, u))
	case "file":
		s, err = byteStore(file.OpenURL(ctx, u))
	case "sqlite":
		s, err = byteStore(sqlite.OpenURL(ctx, u))
	case "badger":
		s, err = byteStore(badger.OpenURL(ctx, u))
	case "redis", "rediss":
		s, err = byteStore(redis.OpenURL(ctx, u))
	case "mongodb", "mongodb+srv":
		s, err = byteStore(mongo.OpenURL(ctx, u))
	case "dynamodb":
		s, err = byteStore(dynamodb.OpenURL(ctx, u))
	case "postgres", "postgresql":
		s, err = byteStore(postgres.OpenURL(ctx, u))
	default:
		return nil, storekit.Invalid(u, "unknown scheme %q (known: %s)", u.Scheme, strings.Join(Schemes(), ", "))
	}
	if err != nil {
		if errors.Is(err, ErrInvalidURL) {
			return nil, err
		}
		return nil, fmt.Errorf("stores: open %s: %w", Redact(u.String()), err)
	}
	return s, nil
}

// byteStore turns what a backend's OpenURL returns (its own *Store) into
// a byte store; a new backend's case in Open is one more line of the same
// form.
func byteStore[S kv.Store[string, []byte]](s S, err error) (kv.Store[string, []byte], error) {
	return s, err
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
