package file_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kvkit/kv/stores/file"
)

// The benchmarks do the same work through the store and through plain os
// calls (a temp file renamed into place, os.ReadFile), so that their ratio
// is the cost of the store: the header, the checksums, the escaped names
// and the os.Root. Compare BenchmarkStore/X with BenchmarkRawOS/X.

const benchKeys = 256

var benchValue = make([]byte, 1024)

func benchKey(i int) string { return fmt.Sprintf("https://example.com/item/%d", i%benchKeys) }

func BenchmarkStore(b *testing.B) {
	ctx := context.Background()
	s, err := file.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	for i := range benchKeys {
		if err := s.Set(ctx, benchKey(i), benchValue); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Get", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := s.Get(ctx, benchKey(i)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("Set", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := s.Set(ctx, benchKey(i), benchValue); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// rawName is the plain file name the raw baseline uses: the key with '/'
// and ':' replaced, no escaping of anything else.
func rawName(dir string, i int) string {
	return filepath.Join(dir, fmt.Sprintf("https___example.com_item_%d", i%benchKeys))
}

func rawSet(dir, name string, value []byte) error {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

func BenchmarkRawOS(b *testing.B) {
	dir := b.TempDir()
	for i := range benchKeys {
		if err := rawSet(dir, rawName(dir, i), benchValue); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Get", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := os.ReadFile(rawName(dir, i)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("Set", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := rawSet(dir, rawName(dir, i), benchValue); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
