package file

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFileName(t *testing.T) {
	long := strings.Repeat("x", 4096)
	tests := []struct {
		key, want string
	}{
		{"", "k.kv"},
		{"abc-_.z09", "kabc-_.z09.kv"},
		{"a/B", "ka%2f%42.kv"},
		{".", "k..kv"},
		{"..", "k...kv"},
		{"x.", "kx..kv"},
		{"x.kv", "kx.kv.kv"},
		{"../../etc/passwd", "k..%2f..%2fetc%2fpasswd.kv"},
		{"/etc/passwd", "k%2fetc%2fpasswd.kv"},
		{"a\x00b", "ka%00b.kv"},
		{"%", "k%25.kv"},
		{"\xff", "k%ff.kv"},
		{"CON", "k%43%4f%4e.kv"},
		{strings.Repeat("a", 196), "k" + strings.Repeat("a", 196) + ".kv"},
		{strings.Repeat("a", 197), hashedName(strings.Repeat("a", 197))},
		{long, hashedName(long)},
	}
	for _, tt := range tests {
		got := fileName(tt.key)
		if got != tt.want {
			t.Errorf("fileName(%q) = %q, want %q", tt.key, got, tt.want)
		}
		checkName(t, tt.key, got)
	}
}

// TestFileNameCaseFold checks that keys differing only in case get names
// that differ on a case-insensitive filesystem too.
func TestFileNameCaseFold(t *testing.T) {
	keys := []string{"key", "Key", "KEY", "kEy", "k", "K", "%4b", "%4B", strings.Repeat("A", 300), strings.Repeat("a", 300)}
	seen := map[string]string{}
	for _, k := range keys {
		folded := strings.ToLower(fileName(k))
		if other, ok := seen[folded]; ok {
			t.Errorf("keys %q and %q fold to the same file name %q", k, other, folded)
		}
		seen[folded] = k
	}
}

// checkName asserts that name is a safe file name for key: one path
// component of the lower-case safe alphabet, under the length limit, that
// decodes back to key (or is a hash name for a long key).
func checkName(t *testing.T, key, name string) {
	t.Helper()
	if !isEntryName(name) {
		t.Fatalf("fileName(%q) = %q, not an entry name", key, name)
	}
	if len(name) > maxNameLen {
		t.Fatalf("fileName(%q) is %d bytes long", key, len(name))
	}
	if !filepath.IsLocal(name) || filepath.Base(name) != name || name == "." || name == ".." {
		t.Fatalf("fileName(%q) = %q is not a single local path component", key, name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !plain(c) && c != '%' {
			t.Fatalf("fileName(%q) = %q holds byte %q", key, name, c)
		}
	}
	if !strings.HasSuffix(name, entrySuffix) {
		t.Fatalf("fileName(%q) = %q does not end with %s", key, name, entrySuffix)
	}
	got, ok := keyFromName(name)
	switch name[0] {
	case entryPrefix:
		if !ok || got != key {
			t.Fatalf("keyFromName(%q) = %q, %v; want %q", name, got, ok, key)
		}
	case hashedPrefix:
		if ok {
			t.Fatalf("keyFromName(%q) decoded a hash name", name)
		}
		if name != hashedName(key) {
			t.Fatalf("fileName(%q) = %q, want the hash name", key, name)
		}
	}
}

func TestKeyFromNameRejectsNonCanonical(t *testing.T) {
	for _, name := range []string{"", "x", "h00", "ka%2.kv", "ka%.kv", "k%2F.kv", "k%61.kv", "kA.kv", "k/.kv", "k", "ka", "kzz%zz.kv", "x.kv", ".kv", "kv", "h" + strings.Repeat("A", 64) + ".kv", "h" + strings.Repeat("0", 63) + ".kv"} {
		if k, ok := keyFromName(name); ok {
			t.Errorf("keyFromName(%q) = %q, true; want false", name, k)
		}
		if isEntryName(name) {
			t.Errorf("isEntryName(%q) = true", name)
		}
	}
}

// FuzzKeyEncoding checks, for any key, that its file name round-trips and
// is one safe component, and that storing the key in a real store creates
// exactly that one file inside the directory and gives the value back.
func FuzzKeyEncoding(f *testing.F) {
	for _, seed := range []string{
		"", ".", "..", "...", "../../etc/passwd", "/etc/passwd", "a\x00b", "\x00",
		`C:\Windows\win.ini`, `\\server\share`, "Key", "key", "%2e%2e", "k", "h",
		".tmp-1-1", "con", "NUL", "aux.txt", "dot.", "space ", "\xff\xfe", "日本語", "a/b/c",
		"~", "$HOME", strings.Repeat("x", 4096), strings.Repeat("../", 100), strings.Repeat("é", 100),
		strings.Repeat("a", 196), strings.Repeat("a", 197), strings.Repeat("A", 66), "x.kv", "k.kv",
	} {
		f.Add(seed)
	}
	parent := f.TempDir()
	dir := filepath.Join(parent, "store")
	s, err := Open(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	ctx := context.Background()

	f.Fuzz(func(t *testing.T, key string) {
		if len(key) > MaxKeySize {
			t.Skip()
		}
		name := fileName(key)
		checkName(t, key, name)

		value := []byte("v:" + key)
		if err := s.Set(ctx, key, value); err != nil {
			t.Fatalf("Set(%q): %v", key, err)
		}
		t.Cleanup(func() { s.Delete(ctx, key) })
		got, err := s.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get(%q): %v", key, err)
		}
		if diff := cmp.Diff(value, got); diff != "" {
			t.Fatalf("Get(%q) (-want +got):\n%s", key, diff)
		}
		keys, err := collectKeys(s)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{key}, keys); diff != "" {
			t.Fatalf("Keys (-want +got):\n%s", diff)
		}
		for _, d := range []string{dir, parent} {
			ents, err := os.ReadDir(d)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range ents {
				if e.Name() != LockDir {
					names = append(names, e.Name())
				}
			}
			want := []string{name}
			if d == parent {
				want = []string{"store"}
			}
			if diff := cmp.Diff(want, names); diff != "" {
				t.Fatalf("files in %s after Set(%q) (-want +got):\n%s", d, key, diff)
			}
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	})
}

func collectKeys(s *Store) ([]string, error) {
	var keys []string
	for k, err := range s.Keys(context.Background()) {
		if err != nil {
			return keys, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}
