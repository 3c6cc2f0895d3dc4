package conformance

import (
	"fmt"
	"testing"
)

func (s *suite) basic(t *testing.T) {
	t.Run("Empty", s.test(testEmpty))
	t.Run("GetSet", s.test(testGetSet))
	t.Run("Overwrite", s.test(testOverwrite))
	t.Run("Miss", s.test(testMiss))
	t.Run("Delete", s.test(testDelete))
	t.Run("Len", s.test(testLen))
	t.Run("Clear", s.test(testClear))
	t.Run("Isolation", s.test(testIsolation))
}

// testCapabilities checks that the declared capabilities are the optional
// interfaces the store implements.
func testCapabilities(t *testing.T, h *harness) {
	if err := h.cfg.Capabilities.Check(h.store()); err != nil {
		t.Error(err)
	}
}

// testEmpty checks a fresh location: nothing in it, by any way of looking.
func testEmpty(t *testing.T, h *harness) {
	s := h.store()
	wantContents(t, h.ctx, s, nil)
	wantMissing(t, h.ctx, s, "absent")
}

func testGetSet(t *testing.T, h *harness) {
	s := h.store()
	want := map[string][]byte{
		"a":     []byte("alpha"),
		"b":     []byte("beta"),
		"key 3": []byte("a somewhat longer value, with punctuation: {}[]\"'"),
	}
	for _, k := range sortedKeys(want) {
		mustSet(t, h.ctx, s, k, want[k])
	}
	wantContents(t, h.ctx, s, want)
}

func testOverwrite(t *testing.T, h *harness) {
	s := h.store()
	mustSet(t, h.ctx, s, "other", []byte("untouched"))
	// Longer, then shorter, then longer again: a store that writes in
	// place must not leave the tail of an older value behind.
	for _, v := range []string{"first value", "2nd", "the third and longest value"} {
		mustSet(t, h.ctx, s, "k", []byte(v))
		wantValue(t, h.ctx, s, "k", []byte(v))
	}
	wantContents(t, h.ctx, s, map[string][]byte{
		"k":     []byte("the third and longest value"),
		"other": []byte("untouched"),
	})
}

// testMiss checks that an absent key is kv.ErrNotFound with the zero
// value, in an empty store and in one with other keys.
func testMiss(t *testing.T, h *harness) {
	s := h.store()
	wantMissing(t, h.ctx, s, "absent")
	mustSet(t, h.ctx, s, "present", []byte("v"))
	for _, k := range []string{"absent", "presen", "present ", "Present", "present/x"} {
		wantMissing(t, h.ctx, s, k)
	}
}

func testDelete(t *testing.T, h *harness) {
	s := h.store()
	mustSet(t, h.ctx, s, "a", []byte("1"))
	mustSet(t, h.ctx, s, "b", []byte("2"))
	if err := s.Delete(h.ctx, "a"); err != nil {
		t.Fatalf("Delete(%q): %v", "a", err)
	}
	wantMissing(t, h.ctx, s, "a")
	for _, k := range []string{"a", "never-set"} {
		if err := s.Delete(h.ctx, k); err != nil {
			t.Errorf("Delete(%q) of an absent key: %v, want nil", k, err)
		}
	}
	wantContents(t, h.ctx, s, map[string][]byte{"b": []byte("2")})
	mustSet(t, h.ctx, s, "a", []byte("again"))
	wantValue(t, h.ctx, s, "a", []byte("again"))
}

func testLen(t *testing.T, h *harness) {
	s := h.store()
	wantLen(t, h.ctx, s, 0)
	for i := range 5 {
		mustSet(t, h.ctx, s, fmt.Sprint("k", i), []byte("v"))
		wantLen(t, h.ctx, s, i+1)
	}
	mustSet(t, h.ctx, s, "k0", []byte("overwritten"))
	wantLen(t, h.ctx, s, 5)
	if err := s.Delete(h.ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	wantLen(t, h.ctx, s, 4)
	if err := s.Delete(h.ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	wantLen(t, h.ctx, s, 4)
}

func testClear(t *testing.T, h *harness) {
	s := h.store()
	if err := s.Clear(h.ctx); err != nil {
		t.Errorf("Clear of an empty store: %v", err)
	}
	for i := range 20 {
		mustSet(t, h.ctx, s, fmt.Sprint("k", i), []byte("v"))
	}
	if err := s.Clear(h.ctx); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	wantContents(t, h.ctx, s, nil)
	wantMissing(t, h.ctx, s, "k0")
	mustSet(t, h.ctx, s, "after", []byte("clear"))
	wantContents(t, h.ctx, s, map[string][]byte{"after": []byte("clear")})
}

// testIsolation opens a second location and checks that the two do not
// see each other: not in Get, Len or iteration, and not through Clear.
// Stores that share a server, a database or a directory fail here when
// they forget their prefix, table or subdirectory somewhere.
func testIsolation(t *testing.T, h *harness) {
	a := h.store()
	b := h.openWith(h.location())
	mustSet(t, h.ctx, a, "shared", []byte("in a"))
	mustSet(t, h.ctx, b, "shared", []byte("in b"))
	mustSet(t, h.ctx, a, "only-a", []byte("a"))
	mustSet(t, h.ctx, b, "only-b", []byte("b"))
	wantContents(t, h.ctx, a, map[string][]byte{"shared": []byte("in a"), "only-a": []byte("a")})
	wantContents(t, h.ctx, b, map[string][]byte{"shared": []byte("in b"), "only-b": []byte("b")})

	if err := a.Delete(h.ctx, "shared"); err != nil {
		t.Fatal(err)
	}
	wantValue(t, h.ctx, b, "shared", []byte("in b"))
	if err := a.Clear(h.ctx); err != nil {
		t.Fatal(err)
	}
	wantContents(t, h.ctx, a, nil)
	wantContents(t, h.ctx, b, map[string][]byte{"shared": []byte("in b"), "only-b": []byte("b")})
}
