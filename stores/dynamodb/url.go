package dynamodb

import (
	"context"
	"net/url"
	"regexp"
	"strings"

	"github.com/kvkit/kv/internal/storekit"
)

// tableName is DynamoDB's rule for a table name's characters (the server
// also wants at least 3 of them, and says so itself).
var tableName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,255}$`)

// OpenURL opens a store (Open) on the table a dynamodb URL names as its
// host:
//
//	dynamodb://table?region=eu-west-1
//	dynamodb://table?endpoint=http://127.0.0.1:8000&create=true
//
// region is WithRegion, endpoint (an absolute URL, for a local server)
// WithEndpoint, create WithCreateTable; credentials come from the AWS
// default chain, never from the URL. An unusable URL gives an error
// wrapping stores.ErrInvalidURL.
func OpenURL(ctx context.Context, u *url.URL) (*Store, error) {
	table, opts, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return Open(ctx, table, opts...)
}

// OpenURLReadOnly opens, with OpenReadOnly, the existing table a dynamodb
// URL names (the grammar of OpenURL; create is accepted and ignored): it
// creates nothing, and every write fails with an error wrapping
// kv.ErrReadOnly.
func OpenURLReadOnly(ctx context.Context, u *url.URL) (*Store, error) {
	table, opts, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return OpenReadOnly(ctx, table, opts...)
}

// parseURL returns the table and the options a dynamodb URL names.
func parseURL(u *url.URL) (string, []Option, error) {
	q, err := storekit.Params(u, "region", "endpoint", "create")
	if err != nil {
		return "", nil, err
	}
	table := u.Host
	if table == "" {
		table = strings.TrimPrefix(u.Opaque, "//")
	}
	if table == "" || (u.Path != "" && u.Path != "/") {
		return "", nil, storekit.Invalid(u, "name the table as the host: dynamodb://table")
	}
	var opts []Option
	if r := q.Get("region"); r != "" {
		opts = append(opts, WithRegion(r))
	}
	if e := q.Get("endpoint"); e != "" {
		if eu, err := url.Parse(e); err != nil || eu.Scheme == "" || eu.Host == "" {
			return "", nil, storekit.Invalid(u, "parameter endpoint=%q is not an absolute URL", e)
		}
		opts = append(opts, WithEndpoint(e))
	}
	if b, ok, err := storekit.BoolParam(u, q, "create"); err != nil {
		return "", nil, err
	} else if ok {
		opts = append(opts, WithCreateTable(b))
	}
	if !tableName.MatchString(table) {
		// Checked here, not left to the server: dynamodb:user:pass@host
		// would otherwise name a table "user:pass@host".
		return "", nil, storekit.Invalid(u, "a table name is made of a-z, A-Z, 0-9, '_', '-' and '.' (at most 255)")
	}
	return table, opts, nil
}
