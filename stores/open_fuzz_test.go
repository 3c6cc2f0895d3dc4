package stores_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvkit/kv/stores"
)

// FuzzOpen feeds arbitrary URLs to stores.Open with a context that is
// already cancelled, so that server backends (redis, mongodb, dynamodb)
// check their URL and stop before any connection. Open never panics; an
// unusable URL gives an error wrapping ErrInvalidURL that starts with
// "stores:"; no error prints the URL's password.
//
// File, SQLite and Badger URLs do create their store, so they are tried
// only when their path stays inside a scratch directory (the working
// directory and $HOME of the test); other paths are left out.
func FuzzOpen(f *testing.F) {
	scratch := f.TempDir()
	f.Setenv("HOME", scratch)
	f.Chdir(scratch)
	for _, s := range []string{
		"", "memory:", "memory:?max_entries=10", "memory:?max_entries=1e3", "memory://host", "memory:?size=3",
		"no-scheme", "ftp://host/x", "::", "%zz:", "file:", "file://", "file:dir", "file:dir?max_bytes=1e9&sync=true",
		"file://~/c", "file://localhost", "file://otherhost/tmp/x", "file:dir?max_bytes=-1", "file:dir?sync=maybe",
		"sqlite:c.db?table=t", "sqlite:c.db?_pragma=busy_timeout(100)", "sqlite:c.db?tabel=x", "sqlite://~/c.db",
		"badger:bdir?prefix=p", "badger:bdir?prefx=a", "FILE:upper",
		"redis://u:hunter2@127.0.0.1:6379/0?prefix=a", "rediss://:hunter2@h:1", "redis://u:hunter2@h1:1,h2:2/?prefix=a",
		"redis://u:hunter2@host:port-not-number", "redis://u:hunter2@host:6379/a/b", "redis://h?dial_timeout=xx",
		"redis://u:hunter2@[::1", "redis://u:hunter2@h?db=notanumber", "redis://u:hunter2@h1:1,?addr=",
		"dynamodb://t?region=x", "dynamodb://?region=x", "dynamodb://t?endpoint=nohost", "dynamodb:t",
		"dynamodb://t?secret_key=hunter2&x=1", "mongodb://u:hunter2@h/db/extra", "mongodb+srv://u:hunter2@h/db",
		"#0000://:00000000000000@", "a?b://:hunter2@", // no scheme: the userinfo is in the fragment, the query
	} {
		f.Add(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Fuzz(func(t *testing.T, raw string) {
		if !staysInScratch(raw) {
			return
		}
		defer clearDir(t, scratch)
		s, err := stores.Open(ctx, raw)
		if err == nil {
			if err := s.Close(); err != nil {
				t.Fatalf("Open(%q): close: %v", raw, err)
			}
			return
		}
		msg := err.Error()
		if errors.Is(err, stores.ErrInvalidURL) && !strings.HasPrefix(msg, "stores: ") {
			t.Fatalf("Open(%q): %q does not say where it comes from", raw, msg)
		}
		if p := password(raw); len(p) >= 4 && strings.Count(raw, p) == 1 && strings.Contains(msg, p) {
			t.Fatalf("Open(%q): error %q prints the password %q", raw, msg, p)
		}
	})
}

// password returns the password of raw's userinfo, as written and
// unescaped (whichever is longer), or "".
func password(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return ""
	}
	_, p, ok := strings.Cut(rest[:at], ":")
	if !ok {
		return ""
	}
	if u, err := url.PathUnescape(p); err == nil && strings.Count(raw, u) == 1 && len(u) > len(p) {
		return u
	}
	return p
}

// staysInScratch reports whether opening raw cannot create anything
// outside the working directory and $HOME: always for URLs that are not
// of the file, sqlite or badger schemes (the cancelled context stops
// server backends before they connect), and for those only when their
// path is relative and local, or under "~".
func staysInScratch(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return true // Open fails to parse it too
	}
	switch strings.ToLower(u.Scheme) {
	case "file", "sqlite", "badger":
	default:
		return true
	}
	var p string
	switch {
	case u.Opaque != "":
		p = u.Opaque
	case u.Host == "~":
		p = "~" + u.Path
	case u.Host != "" && u.Host != "localhost":
		return true // refused: a local path has no host
	default:
		return u.Path == "" // refused: no path; absolute paths are not tried
	}
	if strings.ContainsAny(p, "?#%\\\x00") {
		return false
	}
	if p == "~" {
		return true
	}
	p = strings.TrimPrefix(p, "~/")
	return filepath.IsLocal(p)
}

// clearDir removes everything in dir.
func clearDir(t *testing.T, dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
}
