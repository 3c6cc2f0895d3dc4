package badger_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/badger"
)

// open opens a store in a fresh directory, closed when the test ends.
func open(t testing.TB, opts ...badger.Option) *badger.Store {
	t.Helper()
	s, err := badger.Open(t.TempDir(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// openDB opens a badger DB in a fresh directory, closed when the test
// ends (after the stores built on it, which Cleanup closes first).
func openDB(t testing.TB, f func(bdg.Options) bdg.Options) *bdg.DB {
	t.Helper()
	o := bdg.DefaultOptions(t.TempDir()).WithLogger(nil)
	if f != nil {
		o = f(o)
	}
	db, err := bdg.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func newOn(t testing.TB, db *bdg.DB, opts ...badger.Option) *badger.Store {
	t.Helper()
	s, err := badger.New(db, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func keys(t testing.TB, s kv.Store[string, []byte]) []string {
	t.Helper()
	ks, err := kv.Collect(s.Keys(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func TestGetSetDelete(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	cases := []struct {
		name  string
		key   string
		value []byte
	}{
		{"plain", "a", []byte("alpha")},
		{"empty key", "", []byte("empty key")},
		{"empty value", "e", []byte{}},
		{"binary", "\x00\xff\x00", []byte{0, 1, 2, 0}},
		{"unicode", "ключ/☃", []byte("snow")},
		{"separator-like key", "kv\x00kv", []byte("nested")},
		{"long key", strings.Repeat("k", 60000), []byte("long")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Set(ctx, tc.key, tc.value); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.value, got); diff != "" {
				t.Fatalf("Get (-want +got):\n%s", diff)
			}
			if ok, err := s.Has(ctx, tc.key); !ok || err != nil {
				t.Fatalf("Has = %v, %v", ok, err)
			}
			if err := s.Delete(ctx, tc.key); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, tc.key); !errors.Is(err, kv.ErrNotFound) {
				t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
			}
			if err := s.Delete(ctx, tc.key); err != nil {
				t.Fatalf("Delete of an absent key: %v", err)
			}
		})
	}
	// The returned slice is the caller's.
	_ = s.Set(ctx, "mut", []byte("abc"))
	v, _ := s.Get(ctx, "mut")
	v[0] = 'X'
	if again, _ := s.Get(ctx, "mut"); string(again) != "abc" {
		t.Fatalf("changing a returned value changed the store: %q", again)
	}
	_, err := s.Get(ctx, "absent")
	if !errors.Is(err, kv.ErrNotFound) || !strings.HasPrefix(err.Error(), `kv/badger: get "absent": `) {
		t.Fatalf("Get of an absent key: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	now := time.Now()
	soon := now.Add(400 * time.Millisecond)
	later := now.Add(time.Hour).Round(0)
	if err := s.Set(ctx, "soon", []byte("1"), kv.WithExpiresAt(soon)); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "later", []byte("2"), kv.WithExpiresAt(later)); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "past", []byte("3"), kv.WithExpiresAt(now.Add(-time.Millisecond))); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "never", []byte("4")); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "bad", []byte("5"), kv.WithTTL(-time.Second)); !errors.Is(err, kv.ErrInvalidTTL) {
		t.Fatalf("negative TTL: %v, want ErrInvalidTTL", err)
	}
	if _, err := s.Get(ctx, "past"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get of an entry set already expired: %v", err)
	}

	// Expiry times come back exactly, from the value header.
	all, err := kv.Collect(s.All(ctx))
	if err != nil {
		t.Fatal(err)
	}
	want := []kv.Entry[string, []byte]{
		{Key: "later", Value: []byte("2"), ExpiresAt: later},
		{Key: "never", Value: []byte("4")},
		{Key: "soon", Value: []byte("1"), ExpiresAt: soon.Round(0)},
	}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Fatalf("All (-want +got):\n%s", diff)
	}

	// Badger holds its own TTL, rounded up to the second.
	err = s.DB().View(func(txn *bdg.Txn) error {
		item, err := txn.Get([]byte("kv\x00later"))
		if err != nil {
			return err
		}
		if got, want := item.ExpiresAt(), uint64(later.Unix()+1); got != want {
			return fmt.Errorf("badger ExpiresAt = %d, want %d", got, want)
		}
		item, err = txn.Get([]byte("kv\x00never"))
		if err != nil {
			return err
		}
		if item.ExpiresAt() != 0 {
			return fmt.Errorf("an entry without TTL has badger ExpiresAt %d", item.ExpiresAt())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	time.Sleep(time.Until(soon))
	// Past the exact expiry, usually before badger's rounded-up second.
	if _, err := s.Get(ctx, "soon"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get after expiry: %v, want ErrNotFound", err)
	}
	if ok, err := s.Has(ctx, "soon"); ok || err != nil {
		t.Fatalf("Has after expiry = %v, %v", ok, err)
	}
	if n, err := s.Len(ctx); n != 2 || err != nil {
		t.Fatalf("Len after expiry = %d, %v; want 2", n, err)
	}
	if diff := cmp.Diff([]string{"later", "never"}, keys(t, s)); diff != "" {
		t.Fatalf("Keys after expiry (-want +got):\n%s", diff)
	}
	got, err := kv.GetMany(ctx, s, []string{"soon", "later", "never", "past"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]byte{"later": []byte("2"), "never": []byte("4")}, got); diff != "" {
		t.Fatalf("GetMany after expiry (-want +got):\n%s", diff)
	}

	// Setting again without a TTL removes the expiry.
	if err := s.Set(ctx, "later", []byte("2b")); err != nil {
		t.Fatal(err)
	}
	all, _ = kv.Collect(s.Scan(ctx, "later"))
	if len(all) != 1 || !all[0].ExpiresAt.IsZero() {
		t.Fatalf("after Set without TTL: %+v", all)
	}
}

func TestCorruptExpiryHeader(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	for _, k := range []string{"a", "c"} {
		if err := s.Set(ctx, k, []byte(k), kv.WithTTL(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// "b" claims an expiry header it does not have; its badger TTL is
	// within the second, so even Keys reads the header.
	err := s.DB().Update(func(txn *bdg.Txn) error {
		return txn.SetEntry(&bdg.Entry{Key: []byte("kv\x00b"), Value: []byte("short"),
			UserMeta: 1, ExpiresAt: uint64(time.Now().Unix() + 1)})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "b"); !errors.Is(err, kv.ErrCorrupt) {
		t.Fatalf("Get: %v, want ErrCorrupt", err)
	}
	if _, err := kv.GetMany(ctx, s, []string{"a", "b"}); !errors.Is(err, kv.ErrCorrupt) {
		t.Fatalf("GetMany: %v, want ErrCorrupt", err)
	}
	for name, seq := range map[string]func() []error{
		"Keys": func() (errs []error) {
			for k, err := range s.Keys(ctx) {
				if err != nil && k != "" {
					t.Errorf("Keys yielded key %q with an error", k)
				}
				errs = append(errs, err)
			}
			return errs
		},
		"All": func() (errs []error) {
			for _, err := range s.All(ctx) {
				errs = append(errs, err)
			}
			return errs
		},
	} {
		errs := seq()
		if len(errs) != 3 || errs[0] != nil || !errors.Is(errs[1], kv.ErrCorrupt) || errs[2] != nil {
			t.Errorf("%s yielded errors %v; want nil, ErrCorrupt, nil", name, errs)
		}
	}
}

func TestPrefixesShareOneDB(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, nil)
	a := newOn(t, db, badger.WithPrefix("a"))
	ab := newOn(t, db, badger.WithPrefix("ab"))
	def := newOn(t, db)
	for _, s := range []*badger.Store{a, ab, def} {
		for _, k := range []string{"", "b", "b\x00x", "x"} {
			if err := s.Set(ctx, k, []byte(s.Prefix()+"/"+k)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A raw key that only looks like it belongs.
	_ = db.Update(func(txn *bdg.Txn) error { return txn.Set([]byte("a"), []byte("raw")) })

	want := []string{"", "b", "b\x00x", "x"}
	for _, s := range []*badger.Store{a, ab, def} {
		if diff := cmp.Diff(want, keys(t, s)); diff != "" {
			t.Fatalf("Keys of %q (-want +got):\n%s", s.Prefix(), diff)
		}
		if v, _ := s.Get(ctx, "b"); string(v) != s.Prefix()+"/b" {
			t.Fatalf("Get in %q = %q", s.Prefix(), v)
		}
		if got, _ := kv.Collect(s.Scan(ctx, "b")); len(got) != 2 {
			t.Fatalf("Scan(b) in %q gave %d entries", s.Prefix(), len(got))
		}
	}
	if err := a.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.Len(ctx); n != 0 {
		t.Fatalf("Len after Clear = %d", n)
	}
	for _, s := range []*badger.Store{ab, def} {
		if n, _ := s.Len(ctx); n != 4 {
			t.Fatalf("Clear of %q left %d keys in %q, want 4", a.Prefix(), n, s.Prefix())
		}
	}
	if err := db.View(func(txn *bdg.Txn) error { _, err := txn.Get([]byte("a")); return err }); err != nil {
		t.Fatalf("Clear of prefix a removed the raw key a: %v", err)
	}
	// Closing a store made by New leaves the DB open for the others.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if db.IsClosed() {
		t.Fatal("Close of a store made by New closed the DB")
	}
	if _, err := ab.Get(ctx, "x"); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidPrefix(t *testing.T) {
	db := openDB(t, nil)
	for _, p := range []string{"", "a\x00b", "!badger!x", strings.Repeat("p", 256)} {
		if _, err := badger.New(db, badger.WithPrefix(p)); !errors.Is(err, badger.ErrInvalidPrefix) {
			t.Errorf("New with prefix %q: %v, want ErrInvalidPrefix", p, err)
		}
	}
	dir := filepath.Join(t.TempDir(), "db")
	if _, err := badger.Open(dir, badger.WithPrefix("")); !errors.Is(err, badger.ErrInvalidPrefix) {
		t.Fatalf("Open with an empty prefix: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("Open with a bad prefix created the directory: %v", err)
	}
	if _, err := badger.New(db, badger.WithPrefix(strings.Repeat("p", 255)), badger.WithGCDiscardRatio(1)); err == nil {
		t.Fatal("New with discard ratio 1 succeeded")
	}
}

func TestTooLarge(t *testing.T) {
	ctx := context.Background()
	// 1 MiB is badger's smallest value log file, and so the largest value.
	s := open(t, badger.WithPrefix("p"), badger.WithBadgerOptions(func(o bdg.Options) bdg.Options {
		return o.WithValueLogFileSize(1 << 20)
	}))
	if got, want := s.MaxKeySize(), 65000-2; got != want {
		t.Fatalf("MaxKeySize = %d, want %d", got, want)
	}
	if got, want := s.MaxValueSize(), int64(1<<20-12); got != want {
		t.Fatalf("MaxValueSize = %d, want %d", got, want)
	}
	maxKey := strings.Repeat("k", s.MaxKeySize())
	maxValue := bytes.Repeat([]byte{7}, int(s.MaxValueSize()))
	for _, ttl := range []time.Duration{0, time.Hour} {
		ok := []kv.Entry[string, []byte]{{Key: maxKey, Value: []byte("v")}, {Key: "big", Value: maxValue}}
		bad := []kv.Entry[string, []byte]{{Key: maxKey + "k", Value: []byte("v")}, {Key: "bigger", Value: append(maxValue, 0)}}
		for _, e := range ok {
			if err := s.Set(ctx, e.Key, e.Value, kv.WithTTL(ttl)); err != nil {
				t.Fatalf("Set of %d-byte key, %d-byte value: %v", len(e.Key), len(e.Value), err)
			}
			if got, err := s.Get(ctx, e.Key); err != nil || !bytes.Equal(got, e.Value) {
				t.Fatalf("Get of %d-byte key: %d bytes, %v", len(e.Key), len(got), err)
			}
		}
		for _, e := range bad {
			err := s.Set(ctx, e.Key, e.Value, kv.WithTTL(ttl))
			if !errors.Is(err, kv.ErrTooLarge) {
				t.Fatalf("Set of %d-byte key, %d-byte value: %v, want ErrTooLarge", len(e.Key), len(e.Value), err)
			}
			if len(err.Error()) > 300 {
				t.Fatalf("error message of %d bytes", len(err.Error()))
			}
		}
		if err := s.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		// One oversize entry fails the batch before anything is written.
		batch := append(append([]kv.Entry[string, []byte]{}, ok...), bad[1])
		if err := s.SetMany(ctx, batch); !errors.Is(err, kv.ErrTooLarge) {
			t.Fatalf("SetMany with an oversize value: %v", err)
		}
		if n, _ := s.Len(ctx); n != 0 {
			t.Fatalf("a failed SetMany wrote %d entries", n)
		}
	}
}

func TestMemoryMode(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, func(o bdg.Options) bdg.Options { return o.WithDir("").WithValueDir("").WithInMemory(true) })
	s := newOn(t, db)
	big := bytes.Repeat([]byte{1}, int(s.MaxValueSize()))
	if err := s.Set(ctx, "big", big, kv.WithTTL(time.Hour)); err != nil {
		t.Fatalf("Set of MaxValueSize bytes in memory mode: %v", err)
	}
	if err := s.Set(ctx, "bigger", append(big, 1)); !errors.Is(err, kv.ErrTooLarge) {
		t.Fatalf("Set over MaxValueSize in memory mode: %v", err)
	}
	if err := s.RunGC(ctx); err != nil {
		t.Fatalf("RunGC in memory mode: %v", err)
	}
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Len(ctx); n != 0 {
		t.Fatalf("Len after Clear = %d", n)
	}

	// Through Open, with a value threshold of its own.
	s2, err := badger.Open("unused", badger.WithBadgerOptions(func(o bdg.Options) bdg.Options {
		return o.WithDir("").WithValueDir("").WithInMemory(true).WithValueThreshold(4 << 10)
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, want := s2.MaxValueSize(), int64(4<<10-1-12); got != want {
		t.Fatalf("MaxValueSize in memory mode with a 4 KiB threshold = %d, want %d", got, want)
	}
	big = bytes.Repeat([]byte{1}, int(s2.MaxValueSize()))
	if err := s2.Set(ctx, "big", big, kv.WithTTL(time.Hour)); err != nil {
		t.Fatalf("Set of MaxValueSize bytes: %v", err)
	}
	if err := s2.Set(ctx, "bigger", append(big, 1)); !errors.Is(err, kv.ErrTooLarge) {
		t.Fatalf("Set over MaxValueSize: %v", err)
	}
	if _, err := os.Stat("unused"); !os.IsNotExist(err) {
		t.Fatalf("memory mode created a directory: %v", err)
	}
}

func TestBatchesSplitAcrossTransactions(t *testing.T) {
	ctx := context.Background()
	// A small memtable makes a transaction hold about 150 KB.
	s := open(t, badger.WithBadgerOptions(func(o bdg.Options) bdg.Options { return o.WithMemTableSize(1 << 20).WithValueThreshold(1 << 10) }))
	if max := s.DB().MaxBatchSize(); max > 200<<10 {
		t.Fatalf("MaxBatchSize = %d, the test needs it small", max)
	}
	const n = 5000 // about 2.5 MB
	entries := make([]kv.Entry[string, []byte], n)
	ks := make([]string, n)
	for i := range entries {
		ks[i] = fmt.Sprintf("k%05d", i)
		entries[i] = kv.Entry[string, []byte]{Key: ks[i], Value: bytes.Repeat([]byte{byte(i)}, 500)}
	}
	entries = append(entries, kv.Entry[string, []byte]{Key: ks[0], Value: []byte("last wins")})
	if err := s.SetMany(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if n2, err := s.Len(ctx); n2 != n || err != nil {
		t.Fatalf("Len = %d, %v; want %d", n2, err, n)
	}
	got, err := s.GetMany(ctx, append(ks, "absent"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || string(got[ks[0]]) != "last wins" || !bytes.Equal(got[ks[n-1]], entries[n-1].Value) {
		t.Fatalf("GetMany: %d entries, first %q", len(got), got[ks[0]])
	}
	if diff := cmp.Diff(ks, keys(t, s)); diff != "" {
		t.Fatalf("Keys (-want +got):\n%s", diff)
	}
	if err := s.DeleteMany(ctx, ks[:n-1]); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ks[n-1:], keys(t, s)); diff != "" {
		t.Fatalf("Keys after DeleteMany (-want +got):\n%s", diff)
	}
}

func TestIterationAcrossChunks(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	const n = 2600 // more than two chunks of keys, ten of entries
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("%05d", i))
	}
	entries := make([]kv.Entry[string, []byte], n)
	for i, k := range want {
		entries[i] = kv.Entry[string, []byte]{Key: k, Value: []byte(k)}
	}
	if err := s.SetMany(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, keys(t, s)); diff != "" {
		t.Fatalf("Keys (-want +got):\n%s", diff)
	}
	all, err := kv.Collect(s.All(ctx))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(entries, all); diff != "" {
		t.Fatalf("All (-want +got):\n%s", diff)
	}
	scan, _ := kv.Collect(s.Scan(ctx, "012"))
	if len(scan) != 100 || scan[0].Key != "01200" || scan[99].Key != "01299" {
		t.Fatalf("Scan(012): %d entries", len(scan))
	}

	// Writing and deleting in the loop body: no key twice, no error.
	seen := map[string]bool{}
	for k, err := range s.Keys(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[k] {
			t.Fatalf("key %q yielded twice", k)
		}
		seen[k] = true
		if err := s.Set(ctx, k+"-new", nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}

	// Closing the store in the loop body ends the loop with ErrClosed.
	var errs []error
	count := 0
	for _, err := range s.All(ctx) {
		count++
		if count == 3 {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if count != 4 || len(errs) != 1 || !errors.Is(errs[0], kv.ErrClosed) {
		t.Fatalf("after Close in the loop: %d yields, errors %v", count, errs)
	}
}

func TestCancelledContext(t *testing.T) {
	s := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	checks := map[string]error{
		"Set":        s.Set(ctx, "k", []byte("v")),
		"SetMany":    s.SetMany(ctx, []kv.Entry[string, []byte]{{Key: "k", Value: []byte("v")}}),
		"Delete":     s.Delete(ctx, "k"),
		"DeleteMany": s.DeleteMany(ctx, []string{"k"}),
		"Clear":      s.Clear(ctx),
		"RunGC":      s.RunGC(ctx),
	}
	_, checks["Get"] = s.Get(ctx, "k")
	_, checks["GetMany"] = s.GetMany(ctx, []string{"k"})
	_, checks["Has"] = s.Has(ctx, "k")
	_, checks["Len"] = s.Len(ctx)
	_, checks["Keys"] = kv.Collect(s.Keys(ctx))
	_, checks["All"] = kv.Collect(s.All(ctx))
	for name, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v", name, err)
		}
	}
	if n, _ := s.Len(context.Background()); n != 0 {
		t.Fatalf("a cancelled call wrote %d entries", n)
	}
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := badger.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Set(ctx, "k", []byte("v"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if !s.DB().IsClosed() {
		t.Fatal("Close of a store made by Open left the DB open")
	}
	checks := map[string]error{
		"Set":        s.Set(ctx, "k", []byte("v")),
		"SetMany":    s.SetMany(ctx, []kv.Entry[string, []byte]{{Key: "k"}}),
		"Delete":     s.Delete(ctx, "k"),
		"DeleteMany": s.DeleteMany(ctx, []string{"k"}),
		"Clear":      s.Clear(ctx),
		"RunGC":      s.RunGC(ctx),
	}
	_, checks["Get"] = s.Get(ctx, "k")
	_, checks["GetMany"] = s.GetMany(ctx, []string{"k"})
	_, checks["Has"] = s.Has(ctx, "k")
	_, checks["Len"] = s.Len(ctx)
	_, checks["Keys"] = kv.Collect(s.Keys(ctx))
	_, checks["All"] = kv.Collect(s.Scan(ctx, ""))
	for name, err := range checks {
		if !errors.Is(err, kv.ErrClosed) || !strings.HasPrefix(err.Error(), "kv/badger: ") {
			t.Errorf("%s after Close: %v", name, err)
		}
	}
	// The data outlives the store.
	s2, err := badger.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if v, err := s2.Get(ctx, "k"); string(v) != "v" || err != nil {
		t.Fatalf("Get after reopening = %q, %v", v, err)
	}
}

func TestOpenExpandsHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	s, err := badger.Open("~/cache/db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(filepath.Join(home, "cache", "db", "MANIFEST")); err != nil {
		t.Fatalf("no DB under $HOME: %v", err)
	}
}

func TestLogging(t *testing.T) {
	s := open(t)
	if s.DB().Opts().Logger != nil {
		t.Fatal("badger has a logger though WithLogger was not given")
	}
	var buf syncBuffer
	s2 := open(t, badger.WithLogger(slogTo(&buf)))
	if s2.DB().Opts().Logger == nil {
		t.Fatal("WithLogger gave badger no logger")
	}
	_ = s2.Close()
	if !strings.Contains(buf.String(), "source=badger") {
		t.Fatalf("badger's lines did not reach the slog logger: %q", buf.String())
	}
}

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w, err := badger.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Set(ctx, "k", []byte("v"))
	_ = w.Close()
	ro := func(o bdg.Options) bdg.Options { return o.WithReadOnly(true) }
	r1, err := badger.Open(dir, badger.WithBadgerOptions(ro))
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	if v, err := r1.Get(ctx, "k"); string(v) != "v" || err != nil {
		t.Fatalf("read-only Get = %q, %v", v, err)
	}
	if err := r1.Set(ctx, "k2", []byte("v")); err == nil {
		t.Fatal("read-only Set succeeded")
	}
	if err := r1.Clear(ctx); err == nil {
		t.Fatal("read-only Clear succeeded")
	}
	if err := r1.RunGC(ctx); err != nil {
		t.Fatalf("read-only RunGC: %v", err)
	}
}

// TestConcurrent writes and reads from many goroutines, through two stores
// on one DB, one of them clearing another prefix now and then: nothing is
// lost and no call fails.
func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, nil)
	a := newOn(t, db, badger.WithPrefix("a"))
	b := newOn(t, db, badger.WithPrefix("b"))
	scratch := newOn(t, db, badger.WithPrefix("scratch"))
	const workers, perWorker = 8, 100
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers+1)
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // clears block the whole DB's writes for a moment
		defer wg.Done()
		for range 30 {
			select {
			case <-stop:
				return
			default:
			}
			_ = scratch.Set(ctx, "x", []byte("x"))
			if err := scratch.Clear(ctx); err != nil {
				errs <- err
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	var writers sync.WaitGroup
	for w := range workers {
		for _, s := range []*badger.Store{a, b} {
			writers.Add(1)
			go func() {
				defer writers.Done()
				for i := range perWorker {
					k := fmt.Sprintf("w%d-%03d", w, i)
					if err := s.Set(ctx, k, []byte(k)); err != nil {
						errs <- err
						return
					}
					if v, err := s.Get(ctx, k); err != nil || string(v) != k {
						errs <- fmt.Errorf("Get %q = %q, %v", k, v, err)
						return
					}
					if i%50 == 0 {
						if _, err := s.Len(ctx); err != nil {
							errs <- err
							return
						}
					}
				}
			}()
		}
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, s := range []*badger.Store{a, b} {
		ks := keys(t, s)
		if len(ks) != workers*perWorker || !slices.IsSorted(ks) {
			t.Fatalf("store %q holds %d keys, want %d", s.Prefix(), len(ks), workers*perWorker)
		}
	}
}

// TestExactExpiryWithinBadgersSecond sets an entry that expired 100ms ago
// but within the current second, so that badger's own TTL (whole seconds,
// rounded up) still shows it: every method must hide it all the same.
func TestExactExpiryWithinBadgersSecond(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	// Start half a second into a second, leaving 400ms to check in.
	now := time.Now()
	time.Sleep(time.Until(now.Truncate(time.Second).Add(1500 * time.Millisecond)))
	start := time.Now()
	if err := s.Set(ctx, "gone", []byte("x"), kv.WithExpiresAt(start.Add(-100*time.Millisecond))); err != nil {
		t.Fatal(err)
	}
	err := s.DB().View(func(txn *bdg.Txn) error {
		_, err := txn.Get([]byte("kv\x00gone"))
		return err
	})
	if err != nil {
		t.Fatalf("badger itself hides the entry already (%v): the test proves nothing", err)
	}
	_, getErr := s.Get(ctx, "gone")
	has, hasErr := s.Has(ctx, "gone")
	n, lenErr := s.Len(ctx)
	ks, keysErr := kv.Collect(s.Keys(ctx))
	all, allErr := kv.Collect(s.All(ctx))
	scan, scanErr := kv.Collect(s.Scan(ctx, "go"))
	many, manyErr := s.GetMany(ctx, []string{"gone"})
	if time.Since(start) > 400*time.Millisecond {
		t.Skip("the machine was too slow to check within the second")
	}
	if !errors.Is(getErr, kv.ErrNotFound) || has || hasErr != nil || n != 0 || lenErr != nil ||
		len(ks) != 0 || keysErr != nil || len(all) != 0 || allErr != nil || len(scan) != 0 || scanErr != nil ||
		len(many) != 0 || manyErr != nil {
		t.Fatalf("an expired entry is visible: Get %v; Has %v %v; Len %d %v; Keys %q %v; All %d %v; Scan %d %v; GetMany %d %v",
			getErr, has, hasErr, n, lenErr, ks, keysErr, len(all), allErr, len(scan), scanErr, len(many), manyErr)
	}
}
