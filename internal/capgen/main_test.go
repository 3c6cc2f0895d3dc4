package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedUpToDate fails when a generated file is not what capgen
// writes now: run go generate . (or ./otelkv/) from the module root.
func TestGeneratedUpToDate(t *testing.T) {
	for _, tg := range targets {
		t.Run(tg.file, func(t *testing.T) {
			want, err := tg.source()
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join("..", "..", tg.file))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is out of date: run go generate . from the module root", tg.file)
			}
		})
	}
}

// TestEveryCombination checks that each target has one type per
// non-empty set of its capabilities, each with the parts of its set.
func TestEveryCombination(t *testing.T) {
	for _, tg := range targets {
		src, err := tg.source()
		if err != nil {
			t.Fatal(err)
		}
		text := string(src)
		n := strings.Count(text, "\t"+tg.prefix)
		if want := 1<<len(tg.parts) - 1; n != want {
			t.Errorf("%s: %d combination types, want %d", tg.file, n, want)
		}
		full := (1 << len(tg.parts)) - 1
		if got := len(tg.in(full)); got != len(tg.parts) {
			t.Errorf("%s: the full set has %d parts, want %d", tg.file, got, len(tg.parts))
		}
		if tg.name(full) != strings.Join(letters(tg.parts), "") {
			t.Errorf("%s: the full set is named %q", tg.file, tg.name(full))
		}
	}
}

func letters(parts []part) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.letter
	}
	return out
}
