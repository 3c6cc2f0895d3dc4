package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/testclock"
	"github.com/kvkit/kv/stores/sqlite"
)

// open opens a store on a fresh database file and closes it at the end
// of the test.
func open(t testing.TB, opts ...sqlite.Option) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kv.db")
	s, err := sqlite.Open(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func collect(t testing.TB, seq func(func(kv.Entry[string, []byte], error) bool)) map[string]string {
	t.Helper()
	got := map[string]string{}
	for e, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := got[e.Key]; dup {
			t.Fatalf("key %q yielded twice", e.Key)
		}
		got[e.Key] = string(e.Value)
	}
	return got
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	tests := []struct {
		name  string
		key   string
		value []byte
	}{
		{"plain", "a", []byte("1")},
		{"empty key", "", []byte("empty key")},
		{"empty value", "empty", []byte{}},
		{"nil value", "nil", nil},
		{"NUL inside", "a\x00b", []byte("nul")},
		{"NUL prefix of another", "a\x00", []byte("nul2")},
		{"invalid UTF-8", "\xff\xfe\xfd", []byte{0, 1, 2, 0xff}},
		{"unicode", "ключ/鍵", []byte("v")},
		{"quote and SQL", `'; DROP TABLE kv; --`, []byte("x")},
		{"long", strings.Repeat("k", 4096), bytes.Repeat([]byte("v"), 1<<20)},
	}
	want := map[string]string{}
	for _, tt := range tests {
		if err := s.Set(ctx, tt.key, tt.value); err != nil {
			t.Fatalf("%s: Set: %v", tt.name, err)
		}
		want[tt.key] = string(tt.value)
	}
	for _, tt := range tests {
		got, err := s.Get(ctx, tt.key)
		if err != nil {
			t.Fatalf("%s: Get: %v", tt.name, err)
		}
		wantV := tt.value
		if wantV == nil {
			wantV = []byte{}
		}
		if !bytes.Equal(wantV, got) || got == nil {
			t.Errorf("%s: Get = %.40q (%d bytes), want %.40q (%d bytes)", tt.name, got, len(got), wantV, len(wantV))
		}
		if ok, err := s.Has(ctx, tt.key); err != nil || !ok {
			t.Errorf("%s: Has = %v, %v", tt.name, ok, err)
		}
	}
	if n, err := s.Len(ctx); err != nil || n != len(tests) {
		t.Errorf("Len = %d, %v; want %d", n, err, len(tests))
	}
	if diff := cmp.Diff(want, collect(t, s.All(ctx))); diff != "" {
		t.Errorf("All (-want +got):\n%s", diff)
	}
	var keys []string
	for k, err := range s.Keys(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	wantKeys := slices.Sorted(func(yield func(string) bool) {
		for k := range want {
			if !yield(k) {
				return
			}
		}
	})
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}

	// "a\x00b" and "a\x00" are different keys: deleting one keeps the other.
	if err := s.Delete(ctx, "a\x00"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "a\x00"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "a\x00b"); err != nil {
		t.Errorf("Get of the other key: %v", err)
	}
	if err := s.Delete(ctx, "never there"); err != nil {
		t.Errorf("Delete of an absent key: %v", err)
	}
}

func TestErrorsNameBackendAndKey(t *testing.T) {
	s, _ := open(t)
	_, err := s.Get(context.Background(), "missing")
	if !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get: %v, want ErrNotFound", err)
	}
	if want := `kv/sqlite: get "missing": kv: not found`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestTTL(t *testing.T) {
	ctx := context.Background()
	c := testclock.New(time.Unix(1_700_000_000, 0))
	s, _ := open(t, sqlite.WithClock(c.Now), sqlite.WithSweepInterval(0))

	if err := s.Set(ctx, "short", []byte("1"), kv.WithTTL(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "long", []byte("2"), kv.WithTTL(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "never", []byte("3")); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "past", []byte("4"), kv.WithExpiresAt(c.Now().Add(-time.Second))); err != nil {
		t.Fatal(err)
	}
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) // beyond int64 nanoseconds
	if err := s.Set(ctx, "far", []byte("5"), kv.WithExpiresAt(far)); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "bad", []byte("x"), kv.WithTTL(-time.Second)); !errors.Is(err, kv.ErrInvalidTTL) {
		t.Errorf("negative TTL: %v, want ErrInvalidTTL", err)
	}

	check := func(when string, want map[string]string) {
		t.Helper()
		if diff := cmp.Diff(want, collect(t, s.All(ctx))); diff != "" {
			t.Errorf("%s: All (-want +got):\n%s", when, diff)
		}
		if n, err := s.Len(ctx); err != nil || n != len(want) {
			t.Errorf("%s: Len = %d, %v; want %d", when, n, err, len(want))
		}
		for _, k := range []string{"short", "long", "never", "past", "far", "bad"} {
			_, inWant := want[k]
			v, err := s.Get(ctx, k)
			if inWant != (err == nil) || (err != nil && !errors.Is(err, kv.ErrNotFound)) {
				t.Errorf("%s: Get(%q) = %q, %v", when, k, v, err)
			}
			if ok, err := s.Has(ctx, k); err != nil || ok != inWant {
				t.Errorf("%s: Has(%q) = %v, %v", when, k, ok, err)
			}
		}
		got, err := s.GetMany(ctx, []string{"short", "long", "never", "past", "far"})
		if err != nil {
			t.Fatal(err)
		}
		gotS := map[string]string{}
		for k, v := range got {
			gotS[k] = string(v)
		}
		if diff := cmp.Diff(want, gotS); diff != "" {
			t.Errorf("%s: GetMany (-want +got):\n%s", when, diff)
		}
	}
	check("at first", map[string]string{"short": "1", "long": "2", "never": "3", "far": "5"})

	// ExpiresAt comes back exactly.
	for e, err := range s.Scan(ctx, "short") {
		if err != nil {
			t.Fatal(err)
		}
		if want := c.Now().Add(time.Second); !e.ExpiresAt.Equal(want) {
			t.Errorf("ExpiresAt = %v, want %v", e.ExpiresAt, want)
		}
	}

	c.Add(time.Second) // expired from the instant it expires
	check("after 1s", map[string]string{"long": "2", "never": "3", "far": "5"})

	c.Add(time.Hour)
	check("after 1h", map[string]string{"never": "3", "far": "5"})

	n, err := s.DeleteExpired(ctx)
	if err != nil || n != 3 {
		t.Errorf("DeleteExpired = %d, %v; want 3 (short, long, past)", n, err)
	}
	n, err = s.DeleteExpired(ctx)
	if err != nil || n != 0 {
		t.Errorf("second DeleteExpired = %d, %v; want 0", n, err)
	}

	// Set without a TTL clears an earlier one.
	if err := s.Set(ctx, "never", []byte("3"), kv.WithTTL(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "never", []byte("3")); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Hour)
	check("after overwrite", map[string]string{"never": "3", "far": "5"})
}

func TestSweepOnWrite(t *testing.T) {
	ctx := context.Background()
	c := testclock.New(time.Unix(1_700_000_000, 0))
	s, path := open(t, sqlite.WithClock(c.Now), sqlite.WithSweepInterval(time.Minute))
	for i := range 10 {
		if err := s.Set(ctx, fmt.Sprint("k", i), []byte("v"), kv.WithTTL(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	rows := func() int {
		t.Helper()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM kv`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := rows(); n != 10 {
		t.Fatalf("rows = %d, want 10", n)
	}
	c.Add(30 * time.Second) // expired, but the sweep interval has not passed
	if err := s.Set(ctx, "x", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 11 {
		t.Errorf("rows before the interval = %d, want 11", n)
	}
	c.Add(31 * time.Second)
	if err := s.Set(ctx, "y", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 2 {
		t.Errorf("rows after the sweep = %d, want 2", n)
	}
}

func TestBatch(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)

	// More keys than one GetMany query asks for.
	var entries []kv.Entry[string, []byte]
	want := map[string]string{}
	for i := range 1234 {
		k := fmt.Sprintf("key\x00%04d", i)
		entries = append(entries, kv.Entry[string, []byte]{Key: k, Value: []byte(fmt.Sprint(i))})
		want[k] = fmt.Sprint(i)
	}
	// A repeated key: the last entry wins.
	entries = append(entries, kv.Entry[string, []byte]{Key: "key\x000000", Value: []byte("last")})
	want["key\x000000"] = "last"
	if err := s.SetMany(ctx, entries); err != nil {
		t.Fatal(err)
	}

	keys := make([]string, 0, len(want)+2)
	for k := range want {
		keys = append(keys, k)
	}
	keys = append(keys, "absent", "key\x000001") // an absent key and a repeated one
	got, err := s.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	gotS := map[string]string{}
	for k, v := range got {
		gotS[k] = string(v)
	}
	if diff := cmp.Diff(want, gotS); diff != "" {
		t.Errorf("GetMany (-want +got):\n%s", diff)
	}

	if err := s.DeleteMany(ctx, append(keys[:1000:1000], "absent")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Len(ctx); err != nil || n != 234 {
		t.Errorf("Len after DeleteMany = %d, %v; want 234", n, err)
	}

	for _, tt := range []struct {
		name string
		call func() error
	}{
		{"GetMany nil", func() error {
			m, err := s.GetMany(ctx, nil)
			if err == nil && (m == nil || len(m) != 0) {
				return fmt.Errorf("got %v, want an empty map", m)
			}
			return err
		}},
		{"SetMany nil", func() error { return s.SetMany(ctx, nil) }},
		{"DeleteMany nil", func() error { return s.DeleteMany(ctx, nil) }},
	} {
		if err := tt.call(); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func TestSetManyIsAtomic(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	ctx2, cancel := context.WithCancel(ctx)
	entries := []kv.Entry[string, []byte]{{Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte("2")}}
	cancel()
	if err := s.SetMany(ctx2, entries); !errors.Is(err, context.Canceled) {
		t.Errorf("SetMany with a cancelled context: %v", err)
	}
	if n, _ := s.Len(ctx); n != 0 {
		t.Errorf("Len = %d after a cancelled SetMany, want 0", n)
	}
}

func TestScanPrefix(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	keys := []string{
		"", "a", "a\x00", "a\x00\x00", "ab", "abc", "ab\xff", "ab\xff\xff", "ac", "b",
		"\xff", "\xff\xff", "\xff\xff\x00", "\xfe\xff", "a\xff", "a\xff\x01", "b\x00",
	}
	for _, k := range keys {
		if err := s.Set(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	for _, prefix := range []string{"", "a", "a\x00", "ab", "ab\xff", "a\xff", "\xff", "\xff\xff", "\xfe", "zzz", "abcd"} {
		var want, got []string
		for _, k := range keys {
			if strings.HasPrefix(k, prefix) {
				want = append(want, k)
			}
		}
		slices.Sort(want)
		for e, err := range s.Scan(ctx, prefix) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, e.Key)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Scan(%q) (-want +got, both in byte order):\n%s", prefix, diff)
		}
	}
}

func TestTablesShareAFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "cache.db")

	responses, err := sqlite.Open(path, sqlite.WithTable("responses"))
	if err != nil {
		t.Fatal(err)
	}
	defer responses.Close()
	redirects, err := sqlite.Open(path, sqlite.WithTable("redirects")) // a second Open
	if err != nil {
		t.Fatal(err)
	}
	defer redirects.Close()
	sibling, err := responses.Table("other") // shares responses' connections
	if err != nil {
		t.Fatal(err)
	}
	defer sibling.Close()

	stores := map[string]*sqlite.Store{"responses": responses, "redirects": redirects, "other": sibling}
	for name, s := range stores {
		if s.TableName() != name {
			t.Errorf("TableName = %q, want %q", s.TableName(), name)
		}
		for i := range 3 {
			if err := s.Set(ctx, fmt.Sprint("k", i), []byte(name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, s := range stores {
		v, err := s.Get(ctx, "k0")
		if err != nil || string(v) != name {
			t.Errorf("%s: Get = %q, %v", name, v, err)
		}
	}
	if err := redirects.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"responses": 3, "redirects": 0, "other": 3} {
		if n, err := stores[name].Len(ctx); err != nil || n != want {
			t.Errorf("%s: Len after clearing redirects = %d, %v; want %d", name, n, err, want)
		}
	}

	// A second handle on the same table sees the first's writes.
	again, err := sqlite.Open(path, sqlite.WithTable("responses"))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if v, err := again.Get(ctx, "k1"); err != nil || string(v) != "responses" {
		t.Errorf("second handle: Get = %q, %v", v, err)
	}

	// Closing one store of a shared pair leaves the other working.
	if err := responses.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := responses.Get(ctx, "k0"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Get on the closed store: %v, want ErrClosed", err)
	}
	if _, err := responses.Table("more"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Table on the closed store: %v, want ErrClosed", err)
	}
	if v, err := sibling.Get(ctx, "k0"); err != nil || string(v) != "other" {
		t.Errorf("sibling after its parent closed: Get = %q, %v", v, err)
	}
	if err := sibling.Set(ctx, "k9", []byte("x")); err != nil {
		t.Errorf("sibling after its parent closed: Set: %v", err)
	}
}

func TestTableNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kv.db")
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"kv", true},
		{"Responses_2", true},
		{"_x", true},
		{"", false},
		{"a-b", false},
		{"a b", false},
		{`a"b`, false},
		{"x; DROP TABLE kv", false},
		{"ключ", false},
		{"sqlite_master", false},
		{"SQLITE_x", false},
		{strings.Repeat("a", 129), false},
	} {
		s, err := sqlite.Open(path, sqlite.WithTable(tt.name))
		if tt.ok {
			if err != nil {
				t.Errorf("Open with table %q: %v", tt.name, err)
			} else {
				s.Close()
			}
			continue
		}
		if err == nil {
			s.Close()
			t.Errorf("Open with table %q: no error", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), "table name") {
			t.Errorf("Open with table %q: error %q does not say what is wrong", tt.name, err)
		}
	}
}

func TestPaths(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	ctx := context.Background()
	for _, tt := range []struct {
		path, file string
	}{
		{"~/cache/kv.db", filepath.Join(home, "cache", "kv.db")},
		{filepath.Join(home, "odd?name#x%20.db"), filepath.Join(home, "odd?name#x%20.db")},
		{filepath.Join(home, "with space", "a.db"), filepath.Join(home, "with space", "a.db")},
	} {
		s, err := sqlite.Open(tt.path)
		if err != nil {
			t.Errorf("Open(%q): %v", tt.path, err)
			continue
		}
		if err := s.Set(ctx, "k", []byte("v")); err != nil {
			t.Errorf("Open(%q): Set: %v", tt.path, err)
		}
		s.Close()
		if _, err := os.Stat(tt.file); err != nil {
			t.Errorf("Open(%q): database file: %v", tt.path, err)
		}
	}
	for _, bad := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if s, err := sqlite.Open(bad); err == nil {
			s.Close()
			t.Errorf("Open(%q): no error", bad)
		}
	}
	notDB := filepath.Join(home, "not-a-db")
	if err := os.WriteFile(notDB, bytes.Repeat([]byte("garbage!"), 1024), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := sqlite.Open(notDB); err == nil {
		s.Close()
		t.Errorf("Open of a file that is not a database: no error")
	}
}

func TestDSNParams(t *testing.T) {
	ctx := context.Background()
	s, path := open(t, sqlite.WithDSNParams(url.Values{
		"_pragma": {"busy_timeout(1234)", "cache_size(-4000)"},
	}))
	if err := s.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	// A bad parameter makes Open fail.
	if s2, err := sqlite.Open(path, sqlite.WithDSNParams(url.Values{"_txlock": {"sometimes"}})); err == nil {
		s2.Close()
		t.Errorf("Open with _txlock=sometimes: no error")
	}
}

func TestNewOnCallersDB(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "own.db")
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE mine (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	a, err := sqlite.New(db, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := sqlite.New(db, "b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.New(db, "no-good"); err == nil {
		t.Error("New with an invalid table name: no error")
	}
	if err := a.Set(ctx, "k", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := kv.SetMany(ctx, b, []kv.Entry[string, []byte]{{Key: "k", Value: []byte("b")}}); err != nil {
		t.Fatal(err)
	}
	// Writing in a loop over a cursor works while the pool has room.
	for e, err := range a.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Set(ctx, e.Key+"2", e.Value); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("the caller's DB after Close: %v", err)
	}
	if v, err := b.Get(ctx, "k"); err != nil || string(v) != "b" {
		t.Errorf("b after a closed: Get = %q, %v", v, err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM a`).Scan(&n); err != nil || n != 2 {
		t.Errorf("rows of a = %d, %v; want 2", n, err)
	}
	b.Close()
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	if err := s.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	calls := map[string]func() error{
		"Get":           func() error { _, err := s.Get(ctx, "k"); return err },
		"Has":           func() error { _, err := s.Has(ctx, "k"); return err },
		"Set":           func() error { return s.Set(ctx, "k", nil) },
		"Delete":        func() error { return s.Delete(ctx, "k") },
		"Len":           func() error { _, err := s.Len(ctx); return err },
		"Clear":         func() error { return s.Clear(ctx) },
		"DeleteExpired": func() error { _, err := s.DeleteExpired(ctx); return err },
		"GetMany":       func() error { _, err := s.GetMany(ctx, []string{"k"}); return err },
		"SetMany":       func() error { return s.SetMany(ctx, nil) },
		"DeleteMany":    func() error { return s.DeleteMany(ctx, nil) },
		"Keys":          func() error { _, err := kv.Collect(s.Keys(ctx)); return err },
		"All":           func() error { _, err := kv.Collect(s.All(ctx)); return err },
		"Scan":          func() error { _, err := kv.Collect(s.Scan(ctx, "")); return err },
		"Table":         func() error { _, err := s.Table("x"); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, kv.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

func TestCloseInsideLoop(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	for i := range 10 {
		if err := s.Set(ctx, fmt.Sprint(i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	var last error
	for _, err := range s.All(ctx) {
		if err != nil {
			last = err
			break
		}
		n++
		if n == 3 {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n != 3 || !errors.Is(last, kv.ErrClosed) {
		t.Errorf("after Close in the loop: %d entries then %v; want 3 then ErrClosed", n, last)
	}
}

func TestCancelledContext(t *testing.T) {
	s, _ := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Set(ctx, "k", []byte("v")); !errors.Is(err, context.Canceled) {
		t.Errorf("Set: %v, want context.Canceled", err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get: %v, want context.Canceled", err)
	}
	if _, err := kv.Collect(s.All(ctx)); !errors.Is(err, context.Canceled) {
		t.Errorf("All: %v, want context.Canceled", err)
	}
	if ok, err := s.Has(context.Background(), "k"); err != nil || ok {
		t.Errorf("Has after the cancelled Set = %v, %v; want false", ok, err)
	}
}

// TestWriteDuringIteration writes to the store, and to another table of
// the same database, inside loops over its cursors. With reads and writes
// on one connection this would deadlock; the watchdog turns that into a
// failure.
func TestWriteDuringIteration(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	other, err := s.Table("other")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for i := range 100 {
		if err := s.Set(ctx, fmt.Sprintf("k%03d", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		seen := 0
		for e, err := range s.All(ctx) {
			if err != nil {
				t.Error(err)
				return
			}
			seen++
			if err := s.Set(ctx, e.Key, []byte("changed")); err != nil {
				t.Error(err)
				return
			}
			if err := s.Delete(ctx, "k099"); err != nil {
				t.Error(err)
				return
			}
			if err := other.SetMany(ctx, []kv.Entry[string, []byte]{{Key: e.Key, Value: e.Value}}); err != nil {
				t.Error(err)
				return
			}
			// A nested loop over the same store, broken early.
			for k, err := range s.Keys(ctx) {
				if err != nil {
					t.Error(err)
				}
				_ = k
				break
			}
		}
		if seen < 99 {
			t.Errorf("saw %d entries, want at least 99", seen)
		}
		for k, err := range s.Scan(ctx, "k0") {
			if err != nil {
				t.Error(err)
				return
			}
			if err := s.Clear(ctx); err != nil {
				t.Error(err)
				return
			}
			_ = k
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("writes inside an iteration did not finish in 30s: deadlock")
	}
	if n, err := s.Len(ctx); err != nil || n != 0 {
		t.Errorf("Len after Clear in a loop = %d, %v", n, err)
	}
	if n, err := other.Len(ctx); err != nil || n < 99 {
		t.Errorf("other: Len = %d, %v; want at least 99", n, err)
	}
}

// TestConcurrentWriters: many goroutines of one process write and read at
// once, through one store and through two more Opens of the same file, one
// on another table (separate connections, so SQLite's own locking is in
// play). No call may fail, "database is locked" least of all.
func TestConcurrentWriters(t *testing.T) {
	const goroutines, writes = 16, 200
	ctx := context.Background()
	s, path := open(t)
	s2, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s3, err := sqlite.Open(path, sqlite.WithTable("other"))
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	handles := []*sqlite.Store{s, s2, s3, s, s2, s3, s, s2} // 6 on kv, 2 on other, repeating

	var errs atomic.Int64
	var firstErr atomic.Value
	report := func(err error) {
		if errs.Add(1) == 1 {
			firstErr.Store(err)
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for g := range goroutines {
		st := handles[g%len(handles)]
		wg.Go(func() {
			for i := range writes {
				k := fmt.Sprintf("g%02d/%03d", g, i)
				var err error
				switch i % 10 {
				case 9:
					err = st.SetMany(ctx, []kv.Entry[string, []byte]{{Key: k, Value: []byte(k)}, {Key: k + "x", Value: []byte("tmp")}})
					if err == nil {
						err = st.DeleteMany(ctx, []string{k + "x"})
					}
				default:
					err = st.Set(ctx, k, []byte(k))
				}
				if err != nil {
					report(err)
					continue
				}
				v, err := st.Get(ctx, k)
				if err != nil {
					report(err)
				} else if string(v) != k {
					report(fmt.Errorf("Get(%q) = %q", k, v))
				}
				if i%50 == 0 {
					if _, err := st.Len(ctx); err != nil {
						report(err)
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if n := errs.Load(); n > 0 {
		t.Fatalf("%d calls failed; first: %v", n, firstErr.Load())
	}
	perTable := map[*sqlite.Store]int{}
	for g := range goroutines {
		if handles[g%len(handles)] == s3 {
			perTable[s3] += writes
		} else {
			perTable[s] += writes
		}
	}
	for st, want := range perTable {
		if n, err := st.Len(ctx); err != nil || n != want {
			t.Errorf("table %s: Len = %d, %v; want %d", st.TableName(), n, err, want)
		}
	}
	t.Logf("%d goroutines × %d writes (+ reads) on three handles, two tables: %v", goroutines, writes, elapsed)
}

// TestLockHeldElsewhere holds the write lock from another connection (as
// another process would) and checks what the store does meanwhile: reads
// go on, a write waits for the lock rather than failing, and a write whose
// context ends while it waits returns the context's error promptly.
func TestLockHeldElsewhere(t *testing.T) {
	ctx := context.Background()
	s, path := open(t)
	if err := s.Set(ctx, "k", []byte("before")); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO kv (key, value) VALUES (x'6f', x'6f')`); err != nil {
		t.Fatal(err)
	}

	// Reads do not wait for the writer.
	start := time.Now()
	if v, err := s.Get(ctx, "k"); err != nil || string(v) != "before" {
		t.Errorf("Get while another connection writes = %q, %v", v, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Get waited %v for another connection's write lock", d)
	}

	// A write whose context ends while it waits gives up then.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start = time.Now()
	err = s.Set(short, "k", []byte("never"))
	if d := time.Since(start); err == nil || d > 3*time.Second {
		t.Errorf("Set with a 300ms deadline under a held lock: %v after %v; want an error at about 300ms", err, d)
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Set with a deadline under a held lock: %v, want context.DeadlineExceeded", err)
	}

	// A write without a deadline waits for the lock and succeeds.
	go func() {
		time.Sleep(500 * time.Millisecond)
		conn.ExecContext(ctx, `COMMIT`)
	}()
	start = time.Now()
	if err := s.Set(ctx, "k", []byte("after")); err != nil {
		t.Fatalf("Set waiting for the lock: %v", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("Set returned after %v, before the lock was released", d)
	}
	got := collect(t, s.All(ctx))
	if diff := cmp.Diff(map[string]string{"k": "after", "o": "o"}, got); diff != "" {
		t.Errorf("contents (-want +got):\n%s", diff)
	}
}
