package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// store is the type of store the suite tests.
type store = kv.Store[string, []byte]

// mustSet sets key and stops the subtest when Set fails.
func mustSet(t *testing.T, ctx context.Context, s store, key string, value []byte, opts ...kv.SetOption) {
	t.Helper()
	if err := s.Set(ctx, key, value, opts...); err != nil {
		t.Fatalf("Set(%s): %v", qk(key), err)
	}
}

// wantValue checks that Get and Has find key with value want.
func wantValue(t *testing.T, ctx context.Context, s store, key string, want []byte) {
	t.Helper()
	got, err := s.Get(ctx, key)
	if err != nil {
		t.Errorf("Get(%s): %v, want %s", qk(key), err, qv(want))
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Get(%s) = %s", qk(key), diffBytes(got, want))
	}
	if ok, err := s.Has(ctx, key); err != nil || !ok {
		t.Errorf("Has(%s) = %v, %v; want true, nil (Get found it)", qk(key), ok, err)
	}
}

// wantMissing checks that Get reports key absent with kv.ErrNotFound and
// the zero value, and that Has agrees.
func wantMissing(t *testing.T, ctx context.Context, s store, key string) {
	t.Helper()
	got, err := s.Get(ctx, key)
	switch {
	case err == nil:
		t.Errorf("Get(%s) = %s, nil; want an error wrapping kv.ErrNotFound", qk(key), qv(got))
	case !errors.Is(err, kv.ErrNotFound):
		t.Errorf("Get(%s): %v; want an error wrapping kv.ErrNotFound", qk(key), err)
	case got != nil:
		t.Errorf("Get(%s) = %s, %v; want the zero value (nil) with kv.ErrNotFound", qk(key), qv(got), err)
	}
	if ok, err := s.Has(ctx, key); err != nil || ok {
		t.Errorf("Has(%s) = %v, %v; want false, nil", qk(key), ok, err)
	}
}

// isNotFound reports whether err wraps kv.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, kv.ErrNotFound) }

// wantLen checks Len.
func wantLen(t *testing.T, ctx context.Context, s store, want int) {
	t.Helper()
	n, err := s.Len(ctx)
	if err != nil {
		t.Errorf("Len: %v", err)
	} else if n != want {
		t.Errorf("Len = %d, want %d", n, want)
	}
}

// wantContents checks that the store holds exactly want, through every
// way of reading it: Len, Keys, All, Get and Has.
func wantContents(t *testing.T, ctx context.Context, s store, want map[string][]byte) {
	t.Helper()
	wantLen(t, ctx, s, len(want))

	keys, err, problem := drain(s.Keys(ctx))
	if problem != nil {
		t.Errorf("Keys: %v", problem)
	}
	if err != nil {
		t.Errorf("Keys yielded an error: %v", err)
	}
	checkKeySet(t, "Keys", keys, want)

	entries, err, problem := drain(s.All(ctx))
	if problem != nil {
		t.Errorf("All: %v", problem)
	}
	if err != nil {
		t.Errorf("All yielded an error: %v", err)
	}
	checkEntries(t, "All", entries, want)

	for _, k := range sortedKeys(want) {
		wantValue(t, ctx, s, k, want[k])
	}
}

// checkKeySet reports keys that are yielded twice, missing or unexpected.
func checkKeySet(t *testing.T, what string, keys []string, want map[string][]byte) {
	t.Helper()
	seen := make(map[string]int, len(keys))
	for _, k := range keys {
		seen[k]++
	}
	var dup, extra, missing []string
	for k, n := range seen {
		if n > 1 {
			dup = append(dup, fmt.Sprintf("%s (%d times)", qk(k), n))
		}
		if _, ok := want[k]; !ok {
			extra = append(extra, qk(k))
		}
	}
	for k := range want {
		if seen[k] == 0 {
			missing = append(missing, qk(k))
		}
	}
	if len(dup) > 0 {
		t.Errorf("%s yielded keys more than once: %s", what, list(dup))
	}
	if len(missing) > 0 {
		t.Errorf("%s did not yield %d keys: %s", what, len(missing), list(missing))
	}
	if len(extra) > 0 {
		t.Errorf("%s yielded %d unexpected keys: %s", what, len(extra), list(extra))
	}
}

// checkEntries checks entries like checkKeySet and also their values.
func checkEntries(t *testing.T, what string, entries []kv.Entry[string, []byte], want map[string][]byte) {
	t.Helper()
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = e.Key
		if w, ok := want[e.Key]; ok && !bytes.Equal(e.Value, w) {
			t.Errorf("%s yielded %s with value %s", what, qk(e.Key), diffBytes(e.Value, w))
		}
	}
	checkKeySet(t, what, keys, want)
}

// drain runs seq to its end, or to the first error, and checks the rules
// every sequence of the contract follows: an error ends it, and yield is
// never called again after it returned false. problem describes a broken
// rule.
func drain[T any](seq iter.Seq2[T, error]) (items []T, err error, problem error) {
	stopped := false
	seq(func(v T, e error) bool {
		if stopped {
			problem = errors.New("yield was called again after it returned false")
			return false
		}
		if e != nil {
			err, stopped = e, true
			return false
		}
		items = append(items, v)
		return true
	})
	return items, err, problem
}

// takeN runs seq and stops it after n items, by returning false from yield.
// It returns how many items it saw and describes a broken rule: yield
// called after it returned false, or an error yielded.
func takeN[T any](seq iter.Seq2[T, error], n int) (got int, problem error) {
	stopped := false
	seq(func(_ T, err error) bool {
		if stopped {
			problem = fmt.Errorf("yield was called again after it returned false (after %d items)", got)
			return false
		}
		if err != nil {
			problem = fmt.Errorf("yielded an error: %w", err)
			stopped = true
			return false
		}
		got++
		if got >= n {
			stopped = true
			return false
		}
		return true
	})
	return got, problem
}

// allEntries collects All into a map, reporting problems.
func allEntries(t *testing.T, ctx context.Context, s store) map[string]kv.Entry[string, []byte] {
	t.Helper()
	entries, err, problem := drain(s.All(ctx))
	if problem != nil {
		t.Errorf("All: %v", problem)
	}
	if err != nil {
		t.Errorf("All yielded an error: %v", err)
	}
	out := make(map[string]kv.Entry[string, []byte], len(entries))
	for _, e := range entries {
		if _, dup := out[e.Key]; dup {
			t.Errorf("All yielded %s more than once", qk(e.Key))
		}
		out[e.Key] = e
	}
	return out
}

// wantExpiresAt checks that entries has key, expiring within slack of want
// (the zero time: never).
func wantExpiresAt(t *testing.T, entries map[string]kv.Entry[string, []byte], key string, want time.Time, slack time.Duration) {
	t.Helper()
	e, ok := entries[key]
	switch {
	case !ok:
		t.Errorf("All did not yield %s", qk(key))
	case want.IsZero() && !e.ExpiresAt.IsZero():
		t.Errorf("All yielded %s with ExpiresAt %v, want the zero time (no expiry)", qk(e.Key), e.ExpiresAt)
	case !want.IsZero() && e.ExpiresAt.IsZero():
		t.Errorf("All yielded %s with the zero ExpiresAt, want about %v", qk(e.Key), want)
	case !want.IsZero():
		if d := e.ExpiresAt.Sub(want); d > slack || d < -slack {
			t.Errorf("All yielded %s with ExpiresAt %v, %v from the expected %v (allowed: %v)",
				qk(e.Key), e.ExpiresAt, d, want, slack)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// qk quotes a key for a message, shortening long ones.
func qk(k string) string {
	if len(k) > 48 {
		return fmt.Sprintf("%q... (%d bytes)", k[:32], len(k))
	}
	return fmt.Sprintf("%q", k)
}

// qv describes a value for a message, shortening long ones.
func qv(v []byte) string {
	switch {
	case v == nil:
		return "nil"
	case len(v) > 48:
		return fmt.Sprintf("%q... (%d bytes)", v[:32], len(v))
	default:
		return fmt.Sprintf("%q", v)
	}
}

// diffBytes describes how got differs from want.
func diffBytes(got, want []byte) string {
	if len(got) <= 48 && len(want) <= 48 {
		return fmt.Sprintf("%s, want %s", qv(got), qv(want))
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	return fmt.Sprintf("%d bytes, want %d bytes; they differ from byte %d", len(got), len(want), i)
}

// list joins the first few items of a list of problems.
func list(items []string) string {
	slices.Sort(items)
	if len(items) > 8 {
		return strings.Join(items[:8], ", ") + fmt.Sprintf(" and %d more", len(items)-8)
	}
	return strings.Join(items, ", ")
}
