package storekit

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ErrInvalidURL is wrapped by every error an OpenURL returns for a URL it
// cannot use (as opposed to a store that fails to open). Package stores
// exports it as stores.ErrInvalidURL, the same value.
var ErrInvalidURL = errors.New("invalid store URL")

// Invalid returns an error wrapping ErrInvalidURL that names u, redacted.
func Invalid(u *url.URL, format string, args ...any) error {
	return fmt.Errorf("stores: %s: %s: %w", Redact(u.String()), fmt.Sprintf(format, args...), ErrInvalidURL)
}

var secretParam = regexp.MustCompile(`(?i)pass|secret|token|key|credential|signature`)

// Redact returns rawURL with its password, its fragment and the values
// of query parameters that look secret (password, secret, token, key,
// ...) replaced by "xxxxx", for logs and error messages. An unparseable
// URL is cut to its scheme, an opaque URL's part before an '@' is
// replaced (scheme:user:pass@host is no URL user, but reads as one), and a string with no scheme to the letters
// and digits it starts with: what such a string holds cannot be told
// apart.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		// Not parseable: keep only the scheme, never the rest.
		scheme, _, _ := strings.Cut(rawURL, ":")
		return scheme + ":…"
	}
	if u.Scheme == "" {
		// "#x://:pass@", "a?b://:pass@": not a URL, the userinfo is
		// in the fragment or the query.
		return leadingWord(rawURL) + "…"
	}
	if u.Fragment != "" {
		u.Fragment, u.RawFragment = "xxxxx", ""
	}
	if at := strings.LastIndexByte(u.Opaque, '@'); at >= 0 {
		// redis:user:pass@host has no URL user to redact: whatever
		// stands before the @ may be a credential.
		u.Opaque = "xxxxx" + u.Opaque[at:]
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

// leadingWord returns the letters, digits, '+', '-' and '.' s starts with.
func leadingWord(s string) string {
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return s[:i]
		}
	}
	return s
}

// Params checks that u's query names only known parameters and returns
// it.
func Params(u *url.URL, known ...string) (url.Values, error) {
	q := u.Query()
	for k := range q {
		if !slices.Contains(known, k) {
			if len(known) == 0 {
				return nil, Invalid(u, "unknown parameter %q (%s takes none)", k, u.Scheme)
			}
			return nil, Invalid(u, "unknown parameter %q (%s takes: %s)", k, u.Scheme, strings.Join(known, ", "))
		}
	}
	return q, nil
}

// PathParams is Params and Path together, for the URL of a local store.
func PathParams(u *url.URL, known ...string) (path string, q url.Values, err error) {
	if q, err = Params(u, known...); err != nil {
		return "", nil, err
	}
	if path, err = Path(u); err != nil {
		return "", nil, err
	}
	return path, q, nil
}

// Path returns the filesystem path a URL of a local store names:
// scheme:///abs/path, scheme://~/path (home directory), scheme:rel/path;
// a host other than localhost is invalid.
func Path(u *url.URL) (string, error) {
	var p string
	switch {
	case u.Opaque != "":
		p = u.Opaque // file:relative/dir
	case u.Host == "~":
		p = "~" + u.Path // file://~/dir
	case u.Host != "" && u.Host != "localhost":
		return "", Invalid(u, "host %q: a %s URL names a local path (%s:///abs/path or %s:rel/path)", u.Host, u.Scheme, u.Scheme, u.Scheme)
	default:
		p = u.Path
	}
	if p == "" {
		return "", Invalid(u, "no path")
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

// IntParam returns the whole number q names (1e9 is accepted), and
// whether it is there; a negative or fractional one is invalid.
func IntParam(u *url.URL, q url.Values, name string) (int64, bool, error) {
	s := q.Get(name)
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64) // accept 1e9
		if ferr != nil || f != float64(int64(f)) {
			return 0, false, Invalid(u, "parameter %s=%q is not a whole number", name, s)
		}
		n = int64(f)
	}
	if n < 0 {
		return 0, false, Invalid(u, "parameter %s=%q is negative", name, s)
	}
	return n, true, nil
}

// BoolParam returns the boolean q names, and whether it is there.
func BoolParam(u *url.URL, q url.Values, name string) (bool, bool, error) {
	s := q.Get(name)
	if s == "" {
		return false, false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, false, Invalid(u, "parameter %s=%q is not true or false", name, s)
	}
	return b, true, nil
}

// Hierarchical refuses an opaque URL (redis:host, mongodb:user:pass@host)
// for a network backend, whose URLs name a host after "//": read as a
// URL, such a string has no host, and a backend that went on would dial
// its default address instead of the one the user meant.
func Hierarchical(u *url.URL) error {
	if u.Opaque == "" {
		return nil
	}
	return Invalid(u, "write %s://host/...", u.Scheme)
}
