package conformance

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// The batch and scan subtests go through the helpers of package kv, so they
// test the store's capability when it declares one and the helpers'
// fallback over the plain methods otherwise: either way the result must
// agree with the plain methods.

func (s *suite) batch(t *testing.T) {
	t.Run("GetMany", s.test(testGetMany))
	t.Run("SetMany", s.test(testSetMany))
	t.Run("DeleteMany", s.test(testDeleteMany))
}

// testGetMany checks that GetMany finds what Get finds: present keys with
// their values, and neither absent nor expired ones.
func testGetMany(t *testing.T, h *harness) {
	s := h.store()
	want := map[string][]byte{"a": []byte("1"), "b": {}, "c": []byte("3"), "a/b": []byte("4")}
	for _, k := range sortedKeys(want) {
		mustSet(t, h.ctx, s, k, want[k])
	}
	if h.caps.TTL {
		mustSet(t, h.ctx, s, "expired", []byte("x"), kv.WithExpiresAt(time.Now().Add(-time.Hour)))
	}
	for _, keys := range [][]string{nil, {}, {"absent"}, {"a"}, {"a", "absent", "expired", "b", "a", "c", "a/b", "A"}} {
		got, err := kv.GetMany(h.ctx, s, keys)
		if err != nil {
			t.Errorf("GetMany(%q): %v", keys, err)
			continue
		}
		for k, v := range got {
			if !slices.Contains(keys, k) {
				t.Errorf("GetMany(%q) returned key %q, which it was not asked for", keys, k)
			}
			if w, ok := want[k]; !ok {
				t.Errorf("GetMany(%q) returned %q, which is absent or expired", keys, k)
			} else if !bytes.Equal(v, w) {
				t.Errorf("GetMany(%q)[%q] = %s", keys, k, diffBytes(v, w))
			}
		}
		for _, k := range keys {
			if _, ok := want[k]; ok {
				if _, found := got[k]; !found {
					t.Errorf("GetMany(%q) did not return %q, which Get finds", keys, k)
				}
			}
		}
	}
}

// testSetMany checks that SetMany stores each entry with its own expiry,
// the last of a repeated key winning, as Get and All then report.
func testSetMany(t *testing.T, h *harness) {
	s := h.store()
	mustSet(t, h.ctx, s, "overwritten", []byte("old"))
	if err := kv.SetMany(h.ctx, s, nil); err != nil {
		t.Errorf("SetMany(nil): %v", err)
	}
	now := time.Now()
	inAnHour := now.Add(time.Hour).Truncate(time.Second)
	entries := []kv.Entry[string, []byte]{
		{Key: "plain", Value: []byte("1")},
		{Key: "overwritten", Value: []byte("new")},
		{Key: "twice", Value: []byte("first")},
		{Key: "empty", Value: []byte{}},
		{Key: "twice", Value: []byte("second")},
	}
	want := map[string][]byte{
		"plain": []byte("1"), "overwritten": []byte("new"), "twice": []byte("second"), "empty": {},
	}
	if h.caps.TTL {
		entries = append(entries,
			kv.Entry[string, []byte]{Key: "future", Value: []byte("f"), ExpiresAt: inAnHour},
			kv.Entry[string, []byte]{Key: "past", Value: []byte("p"), ExpiresAt: now.Add(-time.Hour)},
			kv.Entry[string, []byte]{Key: "plain-then-past", Value: []byte("x")},
			kv.Entry[string, []byte]{Key: "plain-then-past", Value: []byte("y"), ExpiresAt: now.Add(-time.Hour)},
		)
		want["future"] = []byte("f")
	}
	if err := kv.SetMany(h.ctx, s, entries); err != nil {
		t.Fatalf("SetMany: %v", err)
	}
	wantContents(t, h.ctx, s, want)
	if h.caps.TTL {
		wantMissing(t, h.ctx, s, "past")
		wantMissing(t, h.ctx, s, "plain-then-past")
		all := allEntries(t, h.ctx, s)
		wantExpiresAt(t, all, "future", inAnHour, h.caps.TTLResolution)
		wantExpiresAt(t, all, "plain", time.Time{}, 0)
	}
}

// testDeleteMany checks that DeleteMany removes what Delete would, and
// that absent and repeated keys are not an error.
func testDeleteMany(t *testing.T, h *harness) {
	s := h.store()
	want := fill(t, h.ctx, s, "k", 6)
	if err := kv.DeleteMany(h.ctx, s, nil); err != nil {
		t.Errorf("DeleteMany(nil): %v", err)
	}
	gone := []string{"k0000", "k0002", "absent", "k0000", "k0005"}
	if err := kv.DeleteMany(h.ctx, s, gone); err != nil {
		t.Fatalf("DeleteMany(%q): %v", gone, err)
	}
	for _, k := range gone {
		delete(want, k)
		wantMissing(t, h.ctx, s, k)
	}
	wantContents(t, h.ctx, s, want)
}

// scanKeys are keys whose prefixes trip up stores that translate a prefix
// into a LIKE pattern, a glob, a regular expression or a path.
func scanKeys() []string {
	return []string{
		"a", "ab", "abc", "abd", "b", "ba", "A", "Ab",
		"a/b", "a/b/c", "a%", "a%b", "a_", "a_b", "axb", "a*", "a*b", "a?", "a[", "a[b]", "a\\", "a\\b",
		"a.b", "a^", "a$", "a|b", "a+", "a(b)", "é", "éa", "\xff", "\xffa", "a\x00", "a\x00b", "a\xff",
	}
}

// scanPrefixes are the prefixes testScan tries.
func scanPrefixes() []string {
	return []string{
		"", "a", "ab", "abc", "abcd", "A", "b", "a/", "a/b", "a%", "a_", "a*", "a?", "a[", "a\\", "a.", "a^",
		"a$", "a|", "a+", "a(", "é", "\xff", "a\x00", "a\xff", "z", "%", "_", "*", ".*",
	}
}

// testScan checks that Scan yields what filtering All by the prefix
// yields, and ScanKeys its keys, for prefixes full of characters that are special somewhere, with
// expired entries left out and early breaks honoured.
func testScan(t *testing.T, h *harness) {
	s := h.store()
	want := make(map[string][]byte)
	for i, k := range scanKeys() {
		want[k] = []byte{byte(i)}
		mustSet(t, h.ctx, s, k, want[k])
	}
	if h.caps.TTL {
		for _, k := range []string{"a-expired", "ab-expired"} {
			mustSet(t, h.ctx, s, k, []byte("x"), kv.WithExpiresAt(time.Now().Add(-time.Hour)))
		}
	}
	for _, prefix := range scanPrefixes() {
		entries, err, problem := drain(kv.Scan(h.ctx, s, prefix))
		if problem != nil {
			t.Errorf("Scan(%q): %v", prefix, problem)
		}
		if err != nil {
			t.Errorf("Scan(%q) yielded an error: %v", prefix, err)
			continue
		}
		sub := make(map[string][]byte)
		for k, v := range want {
			if strings.HasPrefix(k, prefix) {
				sub[k] = v
			}
		}
		checkEntries(t, "Scan("+qk(prefix)+")", entries, sub)
		keys, err, problem := drain(kv.ScanKeys(h.ctx, s, prefix))
		if problem != nil {
			t.Errorf("ScanKeys(%q): %v", prefix, problem)
		}
		if err != nil {
			t.Errorf("ScanKeys(%q) yielded an error: %v", prefix, err)
		}
		checkKeySet(t, "ScanKeys("+qk(prefix)+")", keys, sub)
		if len(sub) > 1 {
			if got, problem := takeN(kv.Scan(h.ctx, s, prefix), 1); problem != nil || got != 1 {
				t.Errorf("Scan(%q) stopped after one entry: %d entries, %v", prefix, got, problem)
			}
		}
	}
}
