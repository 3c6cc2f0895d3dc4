package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/kvkit/kv/internal/storekit"
	"github.com/redis/rueidis"
)

// rueidisParams are the query parameters rueidis.ParseURL reads.
var rueidisParams = []string{"db", "dial_timeout", "write_timeout", "addr", "skip_verify", "protocol", "client_cache", "max_retries", "client_name", "master_set"}

// ParseURL parses a redis:// or rediss:// URL, accepting the cluster form
// redis://[user:pass@]h1:p1,h2:p2,.../[db][?...], whose host list
// net/url does not take (IPv6 hosts in a list): the first host stays the
// host, the others become addr= parameters, the form rueidis.ParseURL
// reads. An unparseable URL gives an error wrapping stores.ErrInvalidURL
// that names it with its credentials redacted.
func ParseURL(rawURL string) (*url.URL, error) {
	scheme, rest, _ := strings.Cut(rawURL, ":")
	var extra []string
	if (scheme == "redis" || scheme == "rediss") && strings.HasPrefix(rest, "//") {
		rawURL, extra = splitHosts(scheme, rest[2:])
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("stores: %s: %w", storekit.Redact(rawURL), errors.Join(storekit.ErrInvalidURL, unwrapURLError(err)))
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

// splitHosts rewrites scheme://rest with a host list h1,h2,... as
// scheme://h1... and returns the other hosts.
func splitHosts(scheme, rest string) (rawURL string, extra []string) {
	rawURL = scheme + "://" + rest
	authority, tail, _ := strings.Cut(rest, "/")
	if q := strings.IndexByte(authority, '?'); q >= 0 {
		authority, tail = authority[:q], "?"+authority[q+1:]+tail
	} else {
		tail = "/" + tail
	}
	userinfo, hosts, hasUser := strings.Cut(authority, "@")
	if !hasUser {
		userinfo, hosts = "", authority
	}
	if !strings.Contains(hosts, ",") {
		return rawURL, nil
	}
	all := strings.Split(hosts, ",")
	hosts, extra = all[0], all[1:]
	if hasUser {
		hosts = userinfo + "@" + hosts
	}
	return scheme + "://" + hosts + tail, extra
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// OpenURL opens a store (Open) on the Redis server or cluster u names:
//
//	redis://user:pass@host:6379/0?prefix=app  one server, database 0 (rediss:// for TLS)
//	redis://h1:7000,h2:7001?prefix=app        a cluster (ParseURL), or ?addr=h2:7001&addr=...
//
// prefix is the store's name (default "kv"); every other parameter is one
// that rueidis.ParseURL reads (db, dial_timeout, client_cache, ...). An
// unusable URL gives an error wrapping stores.ErrInvalidURL.
func OpenURL(ctx context.Context, u *url.URL) (*Store, error) {
	opt, prefix, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return Open(ctx, opt, prefix)
}

// OpenURLReadOnly opens, with OpenReadOnly, the store a redis URL names
// (the grammar of OpenURL): every write fails with an error wrapping
// kv.ErrReadOnly.
func OpenURLReadOnly(ctx context.Context, u *url.URL) (*Store, error) {
	opt, prefix, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return OpenReadOnly(ctx, opt, prefix)
}

// parseURL returns the client options and the store name a redis URL
// names.
func parseURL(u *url.URL) (rueidis.ClientOption, string, error) {
	if err := storekit.Hierarchical(u); err != nil {
		return rueidis.ClientOption{}, "", err
	}
	q, err := storekit.Params(u, append([]string{"prefix"}, rueidisParams...)...)
	if err != nil {
		return rueidis.ClientOption{}, "", err
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
		return rueidis.ClientOption{}, "", storekit.Invalid(u, "%v", err)
	}
	return opt, prefix, nil
}
