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
	t.Run("Empty", s.test(testEmptyKey))
	t.Run("TooLarge", s.test(testTooLarge))
}

// The suite's reading of "a key is any string of bytes", case by case:
//
//   - The empty string is a key like any other (Keys/Empty).
//   - Every byte may appear anywhere, NUL and invalid UTF-8 included
//     (Keys/Odd, Keys/NonUTF8); a backend that holds only text keys encodes
//     them.
//   - Keys are compared byte by byte: no case folding, Unicode
//     normalization, unescaping, trimming of trailing spaces or NULs, or
//     reading of a key as a number ("1", "01" and "1.0" are three keys)
//     (Keys/Odd).
//   - Length: any key up to Capabilities.MaxKeySize bytes, or to the 4 KiB
//     the suite tries when none is declared; keys that long which differ
//     only in their first or last byte are two keys (Keys/Odd). A longer
//     key fails with kv.ErrTooLarge and writes nothing (Keys/TooLarge).

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
		// The hex digits an escape writes, without its marker: a store
		// whose encoding drops or loses the marker merges them with the
		// keys they stand for ("A", "/", " ", "%").
		"41", "2f", "2F", "20", "25", "a2fb",
		// Whitespace and control bytes.
		" ", "  ", " lead", "trail ", "tab\there", "line\nbreak", "\r", "\x00", "a\x00b", "\x7f", "\x1b[0m",
		// Case and Unicode: each pair is two keys.
		"a", "A", "k", "K", "\u212a", // KELVIN SIGN folds to "k"
		"é", "e\u0301", // precomposed and decomposed
		"ß", "SS", "ı", "İ", "日本語", "🙂", "\ufeffbom", "\u200b",
		// Trailing padding that SQL CHAR comparison or a C string drops.
		"pad", "pad ", "pad\x00", "pad\x00\x00", "pad\t",
		// Numbers that a store parsing keys as JSON or numbers merges.
		"1", "01", "1.0", "1e0", "+1", "-0", "0", "0x1", "true", "null", "NaN",
		// Long, and long ones that differ only at one end (a store that
		// cuts or hashes part of a long key merges them).
		strings.Repeat("k", longKey),
		strings.Repeat("k", longKey-1) + "l",
		"l" + strings.Repeat("k", longKey-1),
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

// testEmptyKey checks that the empty string is a key: set, read by every
// method, listed, overwritten and deleted, apart from keys that start with
// a NUL or a space.
func testEmptyKey(t *testing.T, h *harness) {
	s := h.store()
	mustSet(t, h.ctx, s, "", []byte("empty key"))
	mustSet(t, h.ctx, s, "\x00", []byte("nul"))
	mustSet(t, h.ctx, s, " ", []byte("space"))
	want := map[string][]byte{"": []byte("empty key"), "\x00": []byte("nul"), " ": []byte("space")}
	wantContents(t, h.ctx, s, want)
	got, err := kv.GetMany(h.ctx, s, []string{"", "absent"})
	if err != nil || !bytes.Equal(got[""], want[""]) || len(got) != 1 {
		t.Errorf(`GetMany(["", "absent"]) = %q, %v; want {"": %q}`, got, err, want[""])
	}
	mustSet(t, h.ctx, s, "", []byte("again"))
	want[""] = []byte("again")
	wantContents(t, h.ctx, s, want)
	if err := s.Delete(h.ctx, ""); err != nil {
		t.Errorf(`Delete(""): %v`, err)
	}
	delete(want, "")
	wantMissing(t, h.ctx, s, "")
	wantContents(t, h.ctx, s, want)
}

// testTooLarge checks the declared limits: a key or value one byte over is
// kv.ErrTooLarge and writes nothing, and one at the limit is accepted. In
// the middle of a SetMany, the oversize entry is not written and the call
// fails with kv.ErrTooLarge (see kv.BatchSetter).
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
		wantTooLarge(t, "SetMany with a key one byte over MaxKeySize in the middle",
			kv.SetMany(h.ctx, s, []kv.Entry[string, []byte]{
				{Key: "before", Value: []byte("v")}, {Key: over, Value: []byte("v")}, {Key: "after", Value: []byte("v")},
			}))
		settleBatch(t, h, s, want, "before", "after")
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
		// In the middle of a batch, over an existing key: that key keeps
		// its old value; the entries around it may or may not be written.
		wantTooLarge(t, "SetMany with a value one byte over MaxValueSize in the middle",
			kv.SetMany(h.ctx, s, []kv.Entry[string, []byte]{
				{Key: "first", Value: []byte("v")}, {Key: "existing", Value: over}, {Key: "last", Value: []byte("v")},
			}))
		settleBatch(t, h, s, want, "first", "last")
	}
	// Nothing was written: no new key, and the old value is intact.
	wantContents(t, h.ctx, s, want)
}

// settleBatch looks at the keys that a failed SetMany may or may not have
// written, each with the value "v": one that is there must hold it, and is
// added to want, so that what follows checks the store as it is.
func settleBatch(t *testing.T, h *harness, s store, want map[string][]byte, keys ...string) {
	t.Helper()
	for _, k := range keys {
		v, err := s.Get(h.ctx, k)
		switch {
		case err == nil && !bytes.Equal(v, []byte("v")):
			t.Errorf("after a failed SetMany, Get(%q) = %s", k, diffBytes(v, []byte("v")))
		case err == nil:
			want[k] = v
		case !errors.Is(err, kv.ErrNotFound):
			t.Errorf("after a failed SetMany, Get(%q): %v", k, err)
		}
	}
}

func wantTooLarge(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, kv.ErrTooLarge) {
		t.Errorf("%s: %v, want an error wrapping kv.ErrTooLarge", what, err)
	}
}
