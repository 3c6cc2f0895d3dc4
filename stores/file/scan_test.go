package file_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/file"
)

// TestScanKeysOpensMatchesOnly checks that ScanKeys and Scan list the live
// keys with the prefix, long (hashed) ones included, and never open a
// file whose name says its key is outside the prefix: a damaged entry
// there goes unnoticed, where Keys filtered by the prefix (the fallback
// of kv.ScanKeys) reports it.
func TestScanKeysOpensMatchesOnly(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx := t.Context()
	long := "ns:" + strings.Repeat("L", 300) // an "h" name
	for _, k := range []string{"ns:a", "ns:b", long, "other", "x" + long, "n"} {
		if err := s.Set(ctx, k, []byte("v-"+k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Set(ctx, "ns:gone", []byte("x"), kv.WithExpiresAt(time.Now().Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	// "broken"'s file is garbage.
	if err := os.WriteFile(filepath.Join(dir, "kbroken.kv"), []byte("not an entry"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := []string{"ns:a", "ns:b", long}
	slices.Sort(want)

	keys, err := kv.Collect(s.ScanKeys(ctx, "ns:"))
	if err != nil {
		t.Fatalf("ScanKeys(ns:): %v", err)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		t.Errorf("ScanKeys(ns:) = %q, want %q", keys, want)
	}
	entries, err := kv.Collect(s.Scan(ctx, "ns:"))
	if err != nil {
		t.Fatalf("Scan(ns:): %v", err)
	}
	if len(entries) != len(want) {
		t.Errorf("Scan(ns:) yielded %d entries, want %d", len(entries), len(want))
	}
	for _, e := range entries {
		if string(e.Value) != "v-"+e.Key {
			t.Errorf("Scan(ns:): %q holds %q", e.Key, e.Value)
		}
	}
	// The damaged file is found by ScanKeys of its own prefix, and by the
	// fallback for any prefix: it reads every file.
	if _, err := kv.Collect(s.ScanKeys(ctx, "b")); !errors.Is(err, kv.ErrCorrupt) {
		t.Errorf("ScanKeys(b): %v, want an error wrapping kv.ErrCorrupt", err)
	}
	if _, err := kv.Collect(kv.ScanKeys(ctx, kv.Store[string, []byte](struct{ kv.Store[string, []byte] }{s}), "ns:")); !errors.Is(err, kv.ErrCorrupt) {
		t.Errorf("Keys filtered: %v, want an error wrapping kv.ErrCorrupt (the test sees files read)", err)
	}
}

// BenchmarkScanKeys compares ScanKeys with the fallback a store without
// it gets from kv.ScanKeys (Keys, filtered in the process), listing 10
// keys of 2000.
func BenchmarkScanKeys(b *testing.B) {
	ctx := context.Background()
	s, err := file.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	for i := range 2000 {
		prefix := "other:"
		if i%200 == 0 {
			prefix = "ns:"
		}
		if err := s.Set(ctx, fmt.Sprintf("%s%05d", prefix, i), benchValue); err != nil {
			b.Fatal(err)
		}
	}
	run := func(b *testing.B, st kv.Store[string, []byte]) {
		for b.Loop() {
			n := 0
			for _, err := range kv.ScanKeys(ctx, st, "ns:") {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != 10 {
				b.Fatalf("%d keys, want 10", n)
			}
		}
	}
	b.Run("ScanKeys", func(b *testing.B) { run(b, s) })
	// The store without its KeyScanner and PrefixScanner.
	b.Run("KeysFilter", func(b *testing.B) { run(b, struct{ kv.Store[string, []byte] }{s}) })
}
