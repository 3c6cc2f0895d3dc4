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
// This package imports every backend: a program that wants one backend
// imports that backend's package instead. No library package imports it.
package stores

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/badger"
	"github.com/kvkit/kv/stores/dynamodb"
	"github.com/kvkit/kv/stores/file"
	"github.com/kvkit/kv/stores/memory"
	"github.com/kvkit/kv/stores/mongo"
	"github.com/kvkit/kv/stores/postgres"
	"github.com/kvkit/kv/stores/redis"
	"github.com/kvkit/kv/stores/sqlite"
	"github.com/redis/rueidis"
)

// ErrInvalidURL is wrapped by every error Open returns for a URL it cannot
// use (as opposed to a store that fails to open).
var ErrInvalidURL = errors.New("invalid store URL")

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
		s, err = openMemory(u)
	case "file":
		s, err = openFile(u)
	case "sqlite":
		s, err = openSQLite(u)
	case "badger":
		s, err = openBadger(u)
	case "redis", "rediss":
		s, err = openRedis(ctx, u)
	case "mongodb", "mongodb+srv":
		s, err = openMongo(ctx, u)
	case "dynamodb":
		s, err = openDynamoDB(ctx, u)
	case "postgres", "postgresql":
		if s, err = postgres.OpenURL(ctx, u); errors.Is(err, postgres.ErrInvalidURL) {
			return nil, fmt.Errorf("stores: %w (%w)", err, ErrInvalidURL)
		}
	default:
		return nil, invalid(u, "unknown scheme %q (known: %s)", u.Scheme, strings.Join(Schemes(), ", "))
	}
	if err != nil {
		if errors.Is(err, ErrInvalidURL) {
			return nil, err
		}
		return nil, fmt.Errorf("stores: open %s: %w", Redact(u.String()), err)
	}
	return s, nil
}

// parse splits a store URL, turning the cluster form
// redis://h1:p1,h2:p2/... into one the url package accepts.
func parse(rawURL string) (*url.URL, error) {
	if rawURL == "" {
		return nil, fmt.Errorf("stores: empty URL: %w", ErrInvalidURL)
	}
	scheme, rest, ok := strings.Cut(rawURL, ":")
	if !ok || scheme == "" {
		return nil, fmt.Errorf("stores: %q has no scheme (known: %s): %w", Redact(rawURL), strings.Join(Schemes(), ", "), ErrInvalidURL)
	}
	var extra []string
	if (scheme == "redis" || scheme == "rediss") && strings.HasPrefix(rest, "//") {
		authority, tail, _ := strings.Cut(rest[2:], "/")
		if q := strings.IndexByte(authority, '?'); q >= 0 {
			authority, tail = authority[:q], "?"+authority[q+1:]+tail
		} else {
			tail = "/" + tail
		}
		userinfo, hosts, hasUser := strings.Cut(authority, "@")
		if !hasUser {
			userinfo, hosts = "", authority
		}
		if strings.Contains(hosts, ",") {
			all := strings.Split(hosts, ",")
			hosts, extra = all[0], all[1:]
			if hasUser {
				hosts = userinfo + "@" + hosts
			}
			rawURL = scheme + "://" + hosts + tail
		}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("stores: %s: %w", Redact(rawURL), errors.Join(ErrInvalidURL, unwrapURLError(err)))
	}
	if len(extra) > 0 {
		q := u.Query()
		for _, a := range extra {
			q.Add("addr", a)
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// invalid returns an error wrapping ErrInvalidURL that names u, redacted.
func invalid(u *url.URL, format string, args ...any) error {
	return fmt.Errorf("stores: %s: %s: %w", Redact(u.String()), fmt.Sprintf(format, args...), ErrInvalidURL)
}

var secretParam = regexp.MustCompile(`(?i)pass|secret|token|key|credential|signature`)

// Redact returns rawURL with its password and the values of query
// parameters that look secret (password, secret, token, key, ...) replaced
// by "xxxxx", for logs and error messages.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		// Not parseable: keep only the scheme, never the rest.
		scheme, _, _ := strings.Cut(rawURL, ":")
		return scheme + ":…"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	changed := false
	for k := range q {
		if secretParam.MatchString(k) {
			q[k] = []string{"xxxxx"}
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// params checks that the URL's query names only known parameters and
// returns it.
func params(u *url.URL, known ...string) (url.Values, error) {
	q := u.Query()
	for k := range q {
		if !slices.Contains(known, k) {
			if len(known) == 0 {
				return nil, invalid(u, "unknown parameter %q (%s takes none)", k, u.Scheme)
			}
			return nil, invalid(u, "unknown parameter %q (%s takes: %s)", k, u.Scheme, strings.Join(known, ", "))
		}
	}
	return q, nil
}

// path returns the filesystem path of a file, sqlite or badger URL.
func path(u *url.URL) (string, error) {
	var p string
	switch {
	case u.Opaque != "":
		p = u.Opaque // file:relative/dir
	case u.Host == "~":
		p = "~" + u.Path // file://~/dir
	case u.Host != "" && u.Host != "localhost":
		return "", invalid(u, "host %q: a %s URL names a local path (%s:///abs/path or %s:rel/path)", u.Host, u.Scheme, u.Scheme, u.Scheme)
	default:
		p = u.Path
	}
	if p == "" {
		return "", invalid(u, "no path")
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("stores: expand ~: %w", err)
		}
		p = filepath.Join(home, p[1:])
	}
	return p, nil
}

func intParam(u *url.URL, q url.Values, name string) (int64, bool, error) {
	s := q.Get(name)
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64) // accept 1e9
		if ferr != nil || f != float64(int64(f)) {
			return 0, false, invalid(u, "parameter %s=%q is not a whole number", name, s)
		}
		n = int64(f)
	}
	if n < 0 {
		return 0, false, invalid(u, "parameter %s=%q is negative", name, s)
	}
	return n, true, nil
}

func boolParam(u *url.URL, q url.Values, name string) (bool, bool, error) {
	s := q.Get(name)
	if s == "" {
		return false, false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, false, invalid(u, "parameter %s=%q is not true or false", name, s)
	}
	return b, true, nil
}

func openMemory(u *url.URL) (kv.Store[string, []byte], error) {
	if (u.Opaque != "" && u.Opaque != "/") || u.Host != "" || (u.Path != "" && u.Path != "/") {
		return nil, invalid(u, "a memory URL has no host or path (memory:)")
	}
	q, err := params(u, "max_entries")
	if err != nil {
		return nil, err
	}
	var opts []memory.Option
	if n, ok, err := intParam(u, q, "max_entries"); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, memory.WithMaxEntries(int(n)))
	}
	return memory.New[string, []byte](opts...), nil
}

func openFile(u *url.URL) (kv.Store[string, []byte], error) {
	q, err := params(u, "max_bytes", "sync")
	if err != nil {
		return nil, err
	}
	dir, err := path(u)
	if err != nil {
		return nil, err
	}
	var opts []file.Option
	if n, ok, err := intParam(u, q, "max_bytes"); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, file.WithMaxBytes(n))
	}
	if b, ok, err := boolParam(u, q, "sync"); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, file.WithSync(b))
	}
	return file.Open(dir, opts...)
}

func openSQLite(u *url.URL) (kv.Store[string, []byte], error) {
	q := u.Query()
	var opts []sqlite.Option
	dsn := url.Values{}
	for k, v := range q {
		switch {
		case k == "table":
		case strings.HasPrefix(k, "_"): // the driver's own DSN parameters
			dsn[k] = v
		default:
			return nil, invalid(u, "unknown parameter %q (sqlite takes: table, and the driver's _pragma, _txlock, ...)", k)
		}
	}
	if t := q.Get("table"); t != "" {
		opts = append(opts, sqlite.WithTable(t))
	}
	if len(dsn) > 0 {
		opts = append(opts, sqlite.WithDSNParams(dsn))
	}
	p, err := path(u)
	if err != nil {
		return nil, err
	}
	return sqlite.Open(p, opts...)
}

func openBadger(u *url.URL) (kv.Store[string, []byte], error) {
	q, err := params(u, "prefix")
	if err != nil {
		return nil, err
	}
	dir, err := path(u)
	if err != nil {
		return nil, err
	}
	var opts []badger.Option
	if p := q.Get("prefix"); p != "" {
		opts = append(opts, badger.WithPrefix(p))
	}
	return badger.Open(dir, opts...)
}

// rueidisParams are the query parameters rueidis.ParseURL reads.
var rueidisParams = []string{"db", "dial_timeout", "write_timeout", "addr", "skip_verify", "protocol", "client_cache", "max_retries", "client_name", "master_set"}

func openRedis(ctx context.Context, u *url.URL) (kv.Store[string, []byte], error) {
	q, err := params(u, append([]string{"prefix"}, rueidisParams...)...)
	if err != nil {
		return nil, err
	}
	prefix := q.Get("prefix")
	if prefix == "" {
		prefix = "kv"
	}
	q.Del("prefix")
	clean := *u
	clean.RawQuery = q.Encode()
	opt, err := rueidis.ParseURL(clean.String())
	if err != nil {
		return nil, invalid(u, "%v", err)
	}
	return redis.Open(ctx, opt, prefix)
}

func openDynamoDB(ctx context.Context, u *url.URL) (kv.Store[string, []byte], error) {
	q, err := params(u, "region", "endpoint", "create")
	if err != nil {
		return nil, err
	}
	table := u.Host
	if table == "" {
		table = strings.TrimPrefix(u.Opaque, "//")
	}
	if table == "" || (u.Path != "" && u.Path != "/") {
		return nil, invalid(u, "name the table as the host: dynamodb://table")
	}
	var opts []dynamodb.Option
	if r := q.Get("region"); r != "" {
		opts = append(opts, dynamodb.WithRegion(r))
	}
	if e := q.Get("endpoint"); e != "" {
		if eu, err := url.Parse(e); err != nil || eu.Scheme == "" || eu.Host == "" {
			return nil, invalid(u, "parameter endpoint=%q is not an absolute URL", e)
		}
		opts = append(opts, dynamodb.WithEndpoint(e))
	}
	if b, ok, err := boolParam(u, q, "create"); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, dynamodb.WithCreateTable(b))
	}
	return dynamodb.Open(ctx, table, opts...)
}

// openMongo passes the URL to the driver, less the parameter that is the
// store's (collection); the path names the database (default "kv").
func openMongo(ctx context.Context, u *url.URL) (kv.Store[string, []byte], error) {
	q := u.Query()
	db := strings.Trim(u.Path, "/")
	if strings.Contains(db, "/") {
		return nil, invalid(u, "path %q: name one database (mongodb://host/db)", u.Path)
	}
	if db == "" {
		db = "kv"
	}
	var opts []mongo.Option
	if c := q.Get("collection"); c != "" {
		opts = append(opts, mongo.WithCollection(c))
	}
	q.Del("collection")
	clean := *u
	clean.RawQuery = q.Encode()
	return mongo.Open(ctx, clean.String(), db, opts...)
}
