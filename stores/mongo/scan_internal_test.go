package mongo

import (
	"strings"
	"testing"
)

func TestPlainRange(t *testing.T) {
	tests := []struct {
		prefix string
		want   idRange
	}{
		{"", idRange{lo: ""}},
		{"a", idRange{lo: "a", hi: "b", bounded: true}},
		{"ab", idRange{lo: "ab", hi: "ac", bounded: true}},
		{"a\x7f", idRange{lo: "a\x7f", hi: "a\u0080", bounded: true}},
		{"é", idRange{lo: "é", hi: "ê", bounded: true}},
		// A prefix ending in part of a UTF-8 sequence: the range of the
		// whole runes before it (é is C3 A9).
		{"x\xc3", idRange{lo: "x", hi: "y", bounded: true}},
		{"\xc3", idRange{lo: ""}},
		{"a\ud7ff", idRange{lo: "a\ud7ff", hi: "a\ue000", bounded: true}},
		{"a\U0010ffff", idRange{lo: "a\U0010ffff", hi: "b", bounded: true}},
		{"\U0010ffff", idRange{lo: "\U0010ffff"}},
		// No plain key holds an invalid sequence, a NUL, or more than
		// MaxPlainKeySize bytes.
		{"\xff", idRange{none: true}},
		{"a\xff", idRange{none: true}},
		{"\xc3a", idRange{none: true}},
		{"a\x00", idRange{none: true}},
		{strings.Repeat("a", MaxPlainKeySize+1), idRange{none: true}},
		{strings.Repeat("a", MaxPlainKeySize), idRange{lo: strings.Repeat("a", MaxPlainKeySize),
			hi: strings.Repeat("a", MaxPlainKeySize-1) + "b", bounded: true}},
	}
	for _, tt := range tests {
		if got := plainRange(tt.prefix); got != tt.want {
			t.Errorf("plainRange(%q) = %+v, want %+v", tt.prefix, got, tt.want)
		}
	}
}

// TestPlainRangeHoldsMatches checks, over keys of every kind, that each
// plain key starting with a prefix falls in the prefix's range.
func TestPlainRangeHoldsMatches(t *testing.T) {
	keys := []string{"", "a", "ab", "b", "é", "éa", "ê", "x\u00e9", "\ud7ff", "\ue000", "\U0010ffff", "\U0010ffffa", "z"}
	prefixes := []string{"", "a", "é", "\xc3", "x\xc3", "\xed", "\xf4\x8f", "\U0010ffff", "\xff"}
	for _, p := range prefixes {
		r := plainRange(p)
		for _, k := range keys {
			if !plain(k) || !strings.HasPrefix(k, p) {
				continue
			}
			if r.none || k < r.lo || (r.bounded && k >= r.hi) {
				t.Errorf("plain key %q starts with %q but is outside its range %+v", k, p, r)
			}
		}
	}
}
