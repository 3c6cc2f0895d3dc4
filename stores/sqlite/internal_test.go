package sqlite

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBreakClosesCursor(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 10 {
		if err := s.Set(ctx, fmt.Sprint(i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	loops := map[string]func() int{
		"Keys": func() int {
			n := 0
			for range s.Keys(ctx) {
				if n++; n == 2 {
					break
				}
			}
			return n
		},
		"All": func() int {
			n := 0
			for range s.All(ctx) {
				if n++; n == 2 {
					break
				}
			}
			return n
		},
		"Scan": func() int {
			n := 0
			for range s.Scan(ctx, "") {
				if n++; n == 2 {
					break
				}
			}
			return n
		},
	}
	for name, loop := range loops {
		if n := loop(); n != 2 {
			t.Errorf("%s: %d iterations, want 2", name, n)
		}
		if inUse := s.db.reader.Stats().InUse; inUse != 0 {
			t.Errorf("%s: %d read connections in use after break, want 0", name, inUse)
		}
	}
}

func TestConnectionSettings(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "kv.db"), WithDSNParams(url.Values{
		"_pragma": {"busy_timeout(1234)", "cache_size(-4000)"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	read := func(name string, reader bool) string {
		t.Helper()
		db := s.db.writer
		if reader {
			db = s.db.reader
		}
		var v string
		if err := db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return v
	}
	got := map[string]string{}
	for _, p := range []string{"busy_timeout", "journal_mode", "synchronous", "cache_size", "query_only"} {
		got["writer "+p] = read(p, false)
		got["reader "+p] = read(p, true)
	}
	want := map[string]string{
		"writer busy_timeout": "1234", "reader busy_timeout": "1234",
		"writer journal_mode": "wal", "reader journal_mode": "wal",
		"writer synchronous": "1", "reader synchronous": "1",
		"writer cache_size": "-4000", "reader cache_size": "-4000",
		"writer query_only": "0", "reader query_only": "1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("connection settings (-want +got):\n%s", diff)
	}
	if n := s.db.writer.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool: %d connections, want 1", n)
	}
}

func TestDSN(t *testing.T) {
	got := dsn("/tmp/a b?c#d.db", url.Values{"_pragma": {"busy_timeout(5)"}, "vfs": {"unix-none"}}, false)
	want := "file:///tmp/a%20b%3Fc%23d.db?_pragma=synchronous%28NORMAL%29&_pragma=journal_mode%28WAL%29&_pragma=busy_timeout%285%29&_txlock=immediate&vfs=unix-none"
	if got != want {
		t.Errorf("dsn =\n%s\nwant\n%s", got, want)
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, tt := range []struct {
		prefix string
		end    string
		ok     bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"a\xff", "b", true},
		{"a\xff\xff", "b", true},
		{"\xff", "", false},
		{"\xff\xff", "", false},
		{"a\x00", "a\x01", true},
		{"\xfe\xff", "\xff", true},
	} {
		end, ok := prefixEnd(tt.prefix)
		if ok != tt.ok || string(end) != tt.end {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", tt.prefix, end, ok, tt.end, tt.ok)
		}
	}
}
