package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kvkit/kv/internal/storekit"
)

// DefaultTable is the table OpenURL uses when the URL names none.
const DefaultTable = "kv"

// ErrInvalidURL is wrapped by the errors of OpenURL about a URL it cannot
// use (as opposed to a server that refuses it).
var ErrInvalidURL = storekit.ErrInvalidURL

// urlConfig is what OpenURL reads from a URL.
type urlConfig struct {
	dsn          string // the URL less the store's parameters, for pgx
	table        string
	schema       string
	createTable  *bool
	unlogged     bool
	maxValueSize int
	janitor      *time.Duration
}

// options returns the Options of c.
func (c urlConfig) options() []Option {
	opts := []Option{WithSchema(c.schema), WithUnlogged(c.unlogged), WithMaxValueSize(c.maxValueSize)}
	if c.createTable != nil {
		opts = append(opts, WithCreateTable(*c.createTable))
	}
	if c.janitor != nil {
		opts = append(opts, WithJanitorInterval(*c.janitor))
	}
	return opts
}

// ownParams are the parameters of a URL that are the store's, not pgx's.
var ownParams = []string{"table", "schema", "create_table", "unlogged", "max_value_size", "janitor_interval"}

// parseURL splits u into the store's parameters and the DSN pgx gets. It
// does no I/O.
func parseURL(u *url.URL) (urlConfig, error) {
	if u.Opaque != "" {
		// postgres:user:pass@host/db: the userinfo is in the opaque
		// part, which storekit.Redact cannot tell from a path, so the
		// error names the scheme alone.
		return urlConfig{}, storekit.Invalid(&url.URL{Scheme: u.Scheme, Opaque: "…"}, "write postgres://host/db")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return urlConfig{}, storekit.Invalid(u, "scheme %q is not postgres or postgresql", u.Scheme)
	}
	q := u.Query()
	c := urlConfig{table: DefaultTable}
	if t := q.Get("table"); t != "" {
		c.table = t
	}
	c.schema = q.Get("schema")
	if err := errors.Join(c.readParams(u, q)...); err != nil {
		return urlConfig{}, err
	}
	for _, k := range ownParams {
		q.Del(k)
	}
	clean := *u
	clean.RawQuery = q.Encode()
	c.dsn = clean.String()
	return c, nil
}

// readParams reads the store's parameters other than the table and the
// schema from q into c, and returns what is wrong with them (all of it,
// each an error wrapping ErrInvalidURL).
func (c *urlConfig) readParams(u *url.URL, q url.Values) []error {
	var errs []error
	if err := validName("table", c.table); err != nil {
		errs = append(errs, storekit.Invalid(u, "%v", err))
	}
	if c.schema != "" {
		if err := validName("schema", c.schema); err != nil {
			errs = append(errs, storekit.Invalid(u, "%v", err))
		}
	}
	if b, ok, err := storekit.BoolParam(u, q, "create_table"); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.createTable = &b
	}
	var err error
	if c.unlogged, _, err = storekit.BoolParam(u, q, "unlogged"); err != nil {
		errs = append(errs, err)
	}
	if c.maxValueSize, err = sizeParam(u, q, "max_value_size"); err != nil {
		errs = append(errs, err)
	}
	if s := q.Get("janitor_interval"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			errs = append(errs, storekit.Invalid(u, "parameter janitor_interval=%q is not a duration (1m, 30s, 0 for none)", s))
		} else {
			c.janitor = &d
		}
	}
	return errs
}

// sizeParam returns the number of bytes q names, from 1 to MaxValueSize
// (1e6 is accepted, as storekit.IntParam reads it), or 0 when it is not
// there.
func sizeParam(u *url.URL, q url.Values, name string) (int, error) {
	n, ok, err := storekit.IntParam(u, q, name)
	if err != nil || ok && (n == 0 || n > MaxValueSize) {
		return 0, storekit.Invalid(u, "parameter %s=%q is not a number of bytes from 1 to %d", name, q.Get(name), MaxValueSize)
	}
	return int(n), nil
}

// OpenURL opens a store from a postgres:// or postgresql:// URL (see
// stores.Open):
//
//	postgres://user:pass@host:5432/db?table=pages&sslmode=verify-full
//
// These parameters are the store's own, and are not passed on:
//
//	table             the table (DefaultTable, "kv", when absent)
//	schema            WithSchema
//	create_table      WithCreateTable (true or false)
//	unlogged          WithUnlogged (true or false)
//	max_value_size    WithMaxValueSize, in bytes
//	janitor_interval  WithJanitorInterval, a Go duration (0: none)
//
// Every other part of the URL goes to pgx as it is: host, port, user,
// password, database, and parameters such as sslmode, sslrootcert,
// connect_timeout, pool_max_conns and application_name (a parameter pgx
// does not know is sent to the server as a run-time setting, which
// rejects one it does not know either). A URL OpenURL cannot use gives an
// error wrapping ErrInvalidURL; no error holds the password.
func OpenURL(ctx context.Context, u *url.URL) (*Store, error) {
	c, err := parseDSN(u)
	if err != nil {
		return nil, err
	}
	s, err := Open(ctx, c.dsn, c.table, c.options()...)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// OpenURLReadOnly opens, with OpenReadOnly, the existing table a postgres
// URL names (the grammar of OpenURL; create_table and janitor_interval
// are accepted and ignored): it creates nothing, and every write fails
// with an error wrapping kv.ErrReadOnly.
func OpenURLReadOnly(ctx context.Context, u *url.URL) (*Store, error) {
	c, err := parseDSN(u)
	if err != nil {
		return nil, err
	}
	s, err := OpenReadOnly(ctx, c.dsn, c.table, c.options()...)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// parseDSN is parseURL, and checks that pgx can use the DSN it gives.
func parseDSN(u *url.URL) (urlConfig, error) {
	c, err := parseURL(u)
	if err != nil {
		return urlConfig{}, err
	}
	if _, err := pgxpool.ParseConfig(c.dsn); err != nil {
		// pgconn's parse errors print the DSN with its password redacted.
		return urlConfig{}, fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	return c, nil
}
