package file_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/testclock"
	"github.com/kvkit/kv/stores/file"
)

func open(t testing.TB, dir string, opts ...file.Option) *file.Store {
	t.Helper()
	s, err := file.Open(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func keys(t testing.TB, s kv.Store[string, []byte]) []string {
	t.Helper()
	ks, err := kv.Collect(s.Keys(context.Background()))
	if err != nil {
		t.Fatalf("Keys: %v", err)
	}
	slices.Sort(ks)
	return ks
}

// dirNames lists dir, sorted, but for the store's lock directory.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if e.Name() != file.LockDir {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestBasic(t *testing.T) {
	configs := []struct {
		name string
		opts []file.Option
	}{
		{"default", nil},
		{"sync", []file.Option{file.WithSync(true)}},
		{"bounded", []file.Option{file.WithMaxBytes(100 << 20)}},
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) { testBasic(t, c.opts) })
	}
}

func testBasic(t *testing.T, opts []file.Option) {
	ctx := context.Background()
	s := open(t, t.TempDir(), opts...)
	tests := []struct {
		key   string
		value []byte
	}{
		{"a", []byte("1")},
		{"empty value", []byte{}},
		{"binary", []byte{0, 1, 2, 255}},
		{"", []byte("empty key")},
		{"big", bytes.Repeat([]byte("x"), 1<<20)},
		{strings.Repeat("long", 1000), []byte("long key")},
	}
	for _, tt := range tests {
		if err := s.Set(ctx, tt.key, tt.value); err != nil {
			t.Fatalf("Set(%q): %v", tt.key, err)
		}
	}
	for _, tt := range tests {
		got, err := s.Get(ctx, tt.key)
		if err != nil {
			t.Fatalf("Get(%q): %v", tt.key, err)
		}
		if !bytes.Equal(got, tt.value) {
			t.Errorf("Get(%.10q) = %.20q, want %.20q", tt.key, got, tt.value)
		}
		if ok, err := s.Has(ctx, tt.key); !ok || err != nil {
			t.Errorf("Has(%.10q) = %v, %v", tt.key, ok, err)
		}
	}
	var want []string
	for _, tt := range tests {
		want = append(want, tt.key)
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, keys(t, s)); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	if n, err := s.Len(ctx); n != len(tests) || err != nil {
		t.Errorf("Len = %d, %v; want %d", n, err, len(tests))
	}
	if err := s.Set(ctx, "a", []byte("2")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, "a"); string(got) != "2" {
		t.Errorf("Get after overwrite = %q, want 2", got)
	}
	if err := s.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "a"); err != nil {
		t.Errorf("Delete of an absent key: %v", err)
	}
	if _, err := s.Get(ctx, "a"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	if ok, err := s.Has(ctx, "a"); ok || err != nil {
		t.Errorf("Has after Delete = %v, %v", ok, err)
	}
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Len(ctx); n != 0 || err != nil {
		t.Errorf("Len after Clear = %d, %v", n, err)
	}
	if names := dirNames(t, s.Dir()); len(names) != 0 {
		t.Errorf("files after Clear: %q", names)
	}
}

func TestErrorsNameBackendAndOp(t *testing.T) {
	s := open(t, t.TempDir())
	_, err := s.Get(context.Background(), "missing")
	if want := `kv/file: get "missing": kv: not found`; err == nil || err.Error() != want {
		t.Errorf("Get error = %v, want %q", err, want)
	}
}

// TestHostileKeys writes keys meant to escape the directory and checks
// that every file the store created is directly inside its directory and
// that each key reads back its own value.
func TestHostileKeys(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "store")
	s := open(t, dir)
	hostile := []string{
		"../../etc/passwd", "../escape", "..", ".", "", "/etc/passwd", "/tmp/x", "a/../../b",
		"a\x00b", "\x00", `C:\Windows\win.ini`, `..\..\x`, `\\server\share\x`,
		strings.Repeat("x", 4096), strings.Repeat("../", 1300), strings.Repeat("é", 100),
		"Key", "key", "KEY", "kEY", "%2e%2e", "k..", "k%2e", ".tmp-0-0", "h" + strings.Repeat("0", 64), "x.kv", "k.kv",
		"con", "NUL", "aux.txt", "COM1", "dot.", "space ", "\xff\xfe", "日本語", "~", "$HOME", "a/b/c/",
		"\n", "*", "?", "|", ":", "\"",
	}
	for _, k := range hostile {
		if err := s.Set(ctx, k, []byte("v="+k)); err != nil {
			t.Fatalf("Set(%.40q): %v", k, err)
		}
	}
	for _, k := range hostile {
		got, err := s.Get(ctx, k)
		if err != nil || string(got) != "v="+k {
			t.Errorf("Get(%.40q) = %.40q, %v", k, got, err)
		}
	}
	want := slices.Clone(hostile)
	slices.Sort(want)
	if diff := cmp.Diff(want, keys(t, s)); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	var files []string
	err := filepath.WalkDir(parent, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == parent || path == dir {
			return nil
		}
		if path == filepath.Join(dir, file.LockDir) {
			return fs.SkipDir // the lock files: the names of the stripes, not of keys
		}
		if d.IsDir() {
			t.Errorf("directory %s created", path)
			return nil
		}
		if filepath.Dir(path) != dir {
			t.Errorf("file %s created outside %s", path, dir)
		}
		if !d.Type().IsRegular() {
			t.Errorf("%s is not a regular file", path)
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(hostile) {
		t.Errorf("%d files for %d keys", len(files), len(hostile))
	}
	for _, k := range hostile {
		if err := s.Delete(ctx, k); err != nil {
			t.Errorf("Delete(%.40q): %v", k, err)
		}
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("files left after deleting every key: %q", names)
	}
	if names := dirNames(t, parent); !slices.Equal(names, []string{"store"}) {
		t.Errorf("files in parent: %q", names)
	}
}

func TestPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s := open(t, dir)
	if err := s.Set(context.Background(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path string
		want fs.FileMode
	}{
		{dir, fs.ModeDir | 0o700},
		{filepath.Dir(dir), fs.ModeDir | 0o700},
		{filepath.Join(dir, "kk.kv"), 0o600},
	} {
		fi, err := os.Stat(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != tt.want {
			t.Errorf("%s has mode %v, want %v", tt.path, fi.Mode(), tt.want)
		}
	}
}

func TestHomeExpansion(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	s := open(t, "~/cache/x")
	if want := filepath.Join(home, "cache", "x"); s.Dir() != want {
		t.Errorf("Dir() = %q, want %q", s.Dir(), want)
	}
	if fi, err := os.Stat(filepath.Join(home, "cache", "x")); err != nil || !fi.IsDir() {
		t.Errorf("store directory not created under HOME: %v", err)
	}
}

func TestTTL(t *testing.T) {
	ctx := context.Background()
	clock := testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
	s := open(t, t.TempDir(), file.WithClock(clock.Now))
	if err := s.Set(ctx, "short", []byte("1"), kv.WithTTL(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "long", []byte("2"), kv.WithTTL(time.Hour)); err != nil {
		t.Fatal(err)
	}
	far := time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
	if err := s.Set(ctx, "far", []byte("3"), kv.WithExpiresAt(far)); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "never", []byte("4")); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "bad", []byte("5"), kv.WithTTL(-time.Second)); !errors.Is(err, kv.ErrInvalidTTL) {
		t.Errorf("negative TTL: %v, want ErrInvalidTTL", err)
	}
	entries, err := kv.Collect(s.All(ctx))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Time{}
	for _, e := range entries {
		got[e.Key] = e.ExpiresAt
	}
	want := map[string]time.Time{
		"short": clock.Now().Add(time.Minute),
		"long":  clock.Now().Add(time.Hour),
		"far":   far,
		"never": {},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ExpiresAt by key (-want +got):\n%s", diff)
	}

	clock.Add(time.Minute) // "short" expires at this very instant
	if _, err := s.Get(ctx, "short"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("Get of expired: %v, want ErrNotFound", err)
	}
	if ok, err := s.Has(ctx, "short"); ok || err != nil {
		t.Errorf("Has of expired = %v, %v", ok, err)
	}
	if n, _ := s.Len(ctx); n != 3 {
		t.Errorf("Len = %d, want 3", n)
	}
	if diff := cmp.Diff([]string{"far", "long", "never"}, keys(t, s)); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	clock.Add(2 * time.Hour)
	n, err := s.DeleteExpired(ctx)
	if n != 2 || err != nil {
		t.Errorf("DeleteExpired = %d, %v; want 2", n, err)
	}
	if diff := cmp.Diff([]string{"kfar.kv", "knever.kv"}, dirNames(t, s.Dir())); diff != "" {
		t.Errorf("files after DeleteExpired (-want +got):\n%s", diff)
	}
}

func TestTempFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	old := fmt.Sprintf(".tmp-%x-1", time.Now().Add(-2*file.StaleTempAge).UnixNano())
	fresh := fmt.Sprintf(".tmp-%x-2", time.Now().UnixNano())
	others := []string{".tmp-garbage", "README", "notes.txt", "kitten.jpg", "k%2.kv", "kA.kv", "h00.kv"}
	for _, name := range append([]string{old, fresh}, others...) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("half a write"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"k"}, keys(t, s)); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	if n, err := s.Len(ctx); n != 1 || err != nil {
		t.Errorf("Len = %d, %v; want 1", n, err)
	}
	if es, err := kv.Collect(s.All(ctx)); len(es) != 1 || err != nil {
		t.Errorf("All = %v, %v; want one entry", es, err)
	}

	s2 := open(t, dir) // Open sweeps
	want := append([]string{fresh, "kk.kv"}, others...)
	slices.Sort(want)
	if diff := cmp.Diff(want, dirNames(t, dir)); diff != "" {
		t.Errorf("files after Open (-want +got):\n%s", diff)
	}
	if err := os.WriteFile(filepath.Join(dir, old), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.DeleteExpired(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, dirNames(t, dir)); diff != "" {
		t.Errorf("files after DeleteExpired (-want +got):\n%s", diff)
	}
	if err := os.WriteFile(filepath.Join(dir, old), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s2.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	want = slices.DeleteFunc(want, func(n string) bool { return n == "kk.kv" })
	if diff := cmp.Diff(want, dirNames(t, dir)); diff != "" {
		t.Errorf("files after Clear (-want +got):\n%s", diff)
	}
}

// TestCorrupt damages entry files in every way and checks that Get reports
// kv.ErrCorrupt, that Keys and All report it and go on, that Len skips the
// damaged entry, and that Delete removes it.
func TestCorrupt(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		damage func(t *testing.T, path string, good []byte) []byte
	}{
		{"empty", func(t *testing.T, path string, good []byte) []byte { return nil }},
		{"truncated header", func(t *testing.T, path string, good []byte) []byte { return good[:10] }},
		{"header only", func(t *testing.T, path string, good []byte) []byte { return good[:40] }},
		{"truncated value", func(t *testing.T, path string, good []byte) []byte { return good[:len(good)-1] }},
		{"trailing bytes", func(t *testing.T, path string, good []byte) []byte { return append(good, 'x') }},
		{"garbage", func(t *testing.T, path string, good []byte) []byte { return bytes.Repeat([]byte{0xa5}, len(good)) }},
		{"bad magic", func(t *testing.T, path string, good []byte) []byte { good[0] = 'X'; return good }},
		{"future version", func(t *testing.T, path string, good []byte) []byte { good[4] = 2; return good }},
		{"unknown flag", func(t *testing.T, path string, good []byte) []byte { good[5] |= 0x80; return good }},
		{"flipped value byte", func(t *testing.T, path string, good []byte) []byte { good[len(good)-1] ^= 1; return good }},
		{"flipped expiry", func(t *testing.T, path string, good []byte) []byte { good[5] = 1; good[15] = 1; return good }},
		{"huge key length", func(t *testing.T, path string, good []byte) []byte { good[20] = 0xff; return good }},
		{"another key's file", func(t *testing.T, path string, good []byte) []byte {
			other, err := os.ReadFile(filepath.Join(filepath.Dir(path), "kother.kv"))
			if err != nil {
				t.Fatal(err)
			}
			return other
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir)
			for _, k := range []string{"victim", "other"} {
				if err := s.Set(ctx, k, []byte("value of "+k)); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, "kvictim.kv")
			good, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tt.damage(t, path, good), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "victim"); !errors.Is(err, kv.ErrCorrupt) {
				t.Errorf("Get: %v, want ErrCorrupt", err)
			}
			var gotKeys []string
			corrupt := 0
			for k, err := range s.Keys(ctx) {
				switch {
				case errors.Is(err, kv.ErrCorrupt):
					corrupt++
				case err != nil:
					t.Fatalf("Keys: %v", err)
				default:
					gotKeys = append(gotKeys, k)
				}
			}
			corruptAll := 0
			for e, err := range s.All(ctx) {
				switch {
				case errors.Is(err, kv.ErrCorrupt):
					corruptAll++
				case err != nil:
					t.Fatalf("All: %v", err)
				case e.Key != "other":
					t.Errorf("All yielded %q", e.Key)
				}
			}
			// A damaged value is only seen by readers of the value.
			valueOnly := tt.name == "flipped value byte"
			if diff := cmp.Diff([]string{"other"}, gotKeys); diff != "" && !valueOnly {
				t.Errorf("Keys (-want +got):\n%s", diff)
			}
			if corrupt != 1 && !valueOnly {
				t.Errorf("Keys yielded %d ErrCorrupt, want 1", corrupt)
			}
			if corruptAll != 1 {
				t.Errorf("All yielded %d ErrCorrupt, want 1", corruptAll)
			}
			if n, err := s.Len(ctx); err != nil || (n != 1 && !valueOnly) {
				t.Errorf("Len = %d, %v; want 1", n, err)
			}
			if err := s.Delete(ctx, "victim"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "victim"); !errors.Is(err, kv.ErrNotFound) {
				t.Errorf("Get after Delete: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	s, err := file.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	calls := map[string]error{}
	_, calls["Get"] = s.Get(ctx, "k")
	calls["Set"] = s.Set(ctx, "k", nil)
	calls["Delete"] = s.Delete(ctx, "k")
	_, calls["Has"] = s.Has(ctx, "k")
	_, calls["Len"] = s.Len(ctx)
	calls["Clear"] = s.Clear(ctx)
	_, calls["DeleteExpired"] = s.DeleteExpired(ctx)
	_, calls["Keys"] = kv.Collect(s.Keys(ctx))
	_, calls["All"] = kv.Collect(s.All(ctx))
	for name, err := range calls {
		if !errors.Is(err, kv.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Set(ctx, "k", []byte("v")); !errors.Is(err, context.Canceled) {
		t.Errorf("Set: %v, want context.Canceled", err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("Set with a cancelled context wrote %q", names)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get: %v, want context.Canceled", err)
	}
	if _, err := kv.Collect(s.Keys(ctx)); !errors.Is(err, context.Canceled) {
		t.Errorf("Keys: %v, want context.Canceled", err)
	}
}

func TestTooLarge(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir, file.WithMaxBytes(1000))
	big := strings.Repeat("k", file.MaxKeySize+1)
	if err := s.Set(ctx, big, nil); !errors.Is(err, kv.ErrTooLarge) {
		t.Errorf("Set of a %d-byte key: %v, want ErrTooLarge", len(big), err)
	}
	if err := s.Set(ctx, "k", make([]byte, 1000)); !errors.Is(err, kv.ErrTooLarge) {
		t.Errorf("Set of an entry larger than the bound: %v, want ErrTooLarge", err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("a failed Set wrote %q", names)
	}
}

func TestBreakStopsIteration(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	for i := range 10 {
		if err := s.Set(ctx, fmt.Sprint(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for range s.Keys(ctx) {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Errorf("loop ran %d times", n)
	}
}

// TestSharedDirectory checks that two stores on one directory see each
// other's writes and deletes.
func TestSharedDirectory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := open(t, dir), open(t, dir)
	if err := a.Set(ctx, "k", []byte("from a")); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, "k"); string(got) != "from a" || err != nil {
		t.Errorf("b.Get = %q, %v", got, err)
	}
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := a.Has(ctx, "k"); ok {
		t.Error("a still has the key b deleted")
	}
}

// TestConcurrentSetGet races writers and readers of the same keys and
// checks that a reader only ever sees a whole value that was written.
func TestConcurrentSetGet(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	value := func(w, i int) []byte { return bytes.Repeat([]byte{byte('a' + w)}, 1000+i) }
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 100 {
				if err := s.Set(ctx, fmt.Sprint(i%10), value(w, i)); err != nil {
					t.Error(err)
					return
				}
				got, err := s.Get(ctx, fmt.Sprint((i+5)%10))
				if errors.Is(err, kv.ErrNotFound) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) < 1000 || !bytes.Equal(got, bytes.Repeat(got[:1], len(got))) {
					t.Errorf("torn value of %d bytes", len(got))
					return
				}
			}
		})
	}
	wg.Wait()
	if n, err := s.Len(ctx); n != 10 || err != nil {
		t.Errorf("Len = %d, %v; want 10", n, err)
	}
}

// TestNewOnCallersRoot checks that a store built on the caller's os.Root
// works there and leaves the os.Root open on Close.
func TestNewOnCallersRoot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	s, err := file.New(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Get after Close: %v, want ErrClosed", err)
	}
	b, err := root.ReadFile("kk.kv")
	if err != nil {
		t.Fatalf("the caller's os.Root after Close: %v", err)
	}
	if !bytes.HasSuffix(b, []byte("kv")) {
		t.Errorf("entry file ends %q, want the key then the value", b[len(b)-2:])
	}
}
