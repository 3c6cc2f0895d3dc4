package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kvkit/kv"
)

func (s *suite) keys(t *testing.T) {
	t.Run("Odd", s.test(testOddKeys))
	t.Run("NonUTF8", s.test(testNonUTF8Keys))
	t.Run("TooLarge", s.test(testTooLarge))
}

// oddKeys are keys that break stores which put keys into paths, URLs,
// queries, patterns or case-insensitive namespaces. Keys that only differ
// in case, escaping or Unicode normalization are all there, so a store that
// maps two of them onto one entry loses one.
func oddKeys(longKey int) []string {
	return []string{
		// Paths.
		"/", "//", ".", "..", "../../x", "../..", "/abs/path", "a/b", "a//b", "a/", "./a",
		`a\b`, `..\..\x`, `C:\x`, "CON", "nul", "aux.txt", "~", "~user", "$HOME",
		// Escapes that a naive encoder confuses with the characters they stand for.
		"%", "%2F", "%2f", "a%2Fb", "%00", "%25", "a_b", "a:b", "a%3Ab", "+", "a+b", "a b",
		"?", "#", "&x=1", "*", "a*", "[", "a[b]", "{a}",
		// Whitespace and control bytes.
		" ", "  ", " lead", "trail ", "tab\there", "line\nbreak", "\r", "\x00", "a\x00b", "\x7f", "\x1b[0m",
		// Case and Unicode: each pair is two keys.
		"a", "A", "k", "K", "\u212a", // KELVIN SIGN folds to "k"
		"é", "e\u0301", // precomposed and decomposed
		"ß", "SS", "ı", "İ", "日本語", "🙂", "\ufeffbom", "\u200b",
		// Long.
		strings.Repeat("k", longKey),
		strings.Repeat("/", longKey/2),
	}
}

// testOddKeys stores every odd key with its own value and checks that each
// reads back as itself, and that deleting some leaves the others.
func testOddKeys(t *testing.T, h *harness) {
	s := h.store()
	want := make(map[string][]byte)
	for i, k := range oddKeys(h.caps.keySize(longKeySize)) {
		if _, dup := want[k]; dup {
			t.Fatalf("the suite lists key %s twice", qk(k))
		}
		want[k] = fmt.Appendf(nil, "value %d", i)
	}
	for _, k := range sortedKeys(want) {
		mustSet(t, h.ctx, s, k, want[k])
	}
	wantContents(t, h.ctx, s, want)

	for i, k := range sortedKeys(want) {
		if i%2 == 0 {
			if err := s.Delete(h.ctx, k); err != nil {
				t.Errorf("Delete(%s): %v", qk(k), err)
			}
			delete(want, k)
		}
	}
	wantContents(t, h.ctx, s, want)
}

// testNonUTF8Keys checks keys that are not valid UTF-8. A Go string holds
// any bytes, and kv.Store promises any key; a backend that can only hold
// text keys must encode them.
func testNonUTF8Keys(t *testing.T, h *harness) {
	s := h.store()
	want := map[string][]byte{
		"\xff":          []byte("1"),
		"\xfe":          []byte("2"),
		"a\xc3":         []byte("3"),
		"a\xc3\xa9":     []byte("4"), // valid: "aé", next to its invalid prefix
		"\xed\xa0\x80":  []byte("5"), // an encoded surrogate
		"\xc0\xaf":      []byte("6"), // overlong "/"
		"\x80\x80\x80x": []byte("7"),
	}
	for _, k := range sortedKeys(want) {
		mustSet(t, h.ctx, s, k, want[k])
	}
	wantContents(t, h.ctx, s, want)
}

// testTooLarge checks the declared limits: a key or value one byte over is
// kv.ErrTooLarge and writes nothing, and one at the limit is accepted.
func testTooLarge(t *testing.T, h *harness) {
	if h.caps.MaxKeySize == 0 && h.caps.MaxValueSize == 0 {
		t.Skip("neither Capabilities.MaxKeySize nor MaxValueSize is declared")
	}
	s := h.store()
	mustSet(t, h.ctx, s, "existing", []byte("old"))
	want := map[string][]byte{"existing": []byte("old")}

	if n := h.caps.MaxKeySize; n > 0 {
		atLimit := strings.Repeat("k", n)
		mustSet(t, h.ctx, s, atLimit, []byte("at the limit"))
		want[atLimit] = []byte("at the limit")

		over := strings.Repeat("o", n+1)
		wantTooLarge(t, "Set with a key one byte over MaxKeySize", s.Set(h.ctx, over, []byte("v")))
		wantTooLarge(t, "SetMany with a key one byte over MaxKeySize",
			kv.SetMany(h.ctx, s, []kv.Entry[string, []byte]{{Key: over, Value: []byte("v")}}))
		// Reading an oversize key finds nothing, or says it is too large.
		if _, err := s.Get(h.ctx, over); !errors.Is(err, kv.ErrNotFound) && !errors.Is(err, kv.ErrTooLarge) {
			t.Errorf("Get of a key over MaxKeySize: %v, want kv.ErrNotFound or kv.ErrTooLarge", err)
		}
		if ok, err := s.Has(h.ctx, over); ok || (err != nil && !errors.Is(err, kv.ErrTooLarge)) {
			t.Errorf("Has of a key over MaxKeySize = %v, %v; want false", ok, err)
		}
	}
	if n := h.caps.MaxValueSize; n > 0 {
		atLimit := bytes.Repeat([]byte{'v'}, n)
		mustSet(t, h.ctx, s, "at-limit", atLimit)
		want["at-limit"] = atLimit

		over := bytes.Repeat([]byte{'o'}, n+1)
		wantTooLarge(t, "Set of a new key with a value one byte over MaxValueSize", s.Set(h.ctx, "new", over))
		wantTooLarge(t, "Set of an existing key with a value one byte over MaxValueSize", s.Set(h.ctx, "existing", over))
		wantTooLarge(t, "SetMany with a value one byte over MaxValueSize",
			kv.SetMany(h.ctx, s, []kv.Entry[string, []byte]{{Key: "new", Value: over}}))
	}
	// Nothing was written: no new key, and the old value is intact.
	wantContents(t, h.ctx, s, want)
}

func wantTooLarge(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, kv.ErrTooLarge) {
		t.Errorf("%s: %v, want an error wrapping kv.ErrTooLarge", what, err)
	}
}
