package redis_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/stores/redis"
	"github.com/redis/rueidis"
)

// modes are the two kinds of deployment every server test runs against.
var modes = []struct {
	name   string
	option func(testing.TB) rueidis.ClientOption
}{
	{"Standalone", standaloneOption},
	{"Cluster", clusterOption},
}

// TestConformanceOpen runs the suite on stores that own their clients
// (Open, so every Close closes a client and every reopen dials anew), with
// a value limit declared so that the suite checks kv.ErrTooLarge. The
// client-side cache is not run through the suite: it gives up
// read-your-writes by design (see WithClientSideCache);
// TestClientSideCache covers it.
func TestConformanceOpen(t *testing.T) {
	conformance.Run(t, openConformanceConfig(t))
}

// BenchmarkConformance runs the suite's benchmarks on a standalone server;
// GetMany100 against Get100Loop is MGET against 100 GETs.
func BenchmarkConformance(b *testing.B) {
	conformance.Benchmark(b, openConformanceConfig(b))
}

func openConformanceConfig(tb testing.TB) conformance.Config {
	opt := standaloneOption(tb)
	cleaner := newClient(tb, opt)
	const limit = 8 << 20
	cfg := conformance.Config{
		NewStore: func(t testing.TB) conformance.Opener {
			name := uniqueName(t)
			t.Cleanup(func() { clearName(t, cleaner, name) })
			return func() (kv.Store[string, []byte], error) {
				return redis.Open(context.Background(), opt, name, redis.WithMaxValueSize(limit))
			}
		},
		Capabilities: capabilities,
	}
	cfg.Capabilities.MaxValueSize = limit
	return cfg
}

func mustSet(t *testing.T, s kv.Store[string, []byte], key, value string, opts ...kv.SetOption) {
	t.Helper()
	if err := s.Set(t.Context(), key, []byte(value), opts...); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

// contents reads s through All and checks that Keys and Len agree.
func contents(t *testing.T, s kv.Store[string, []byte]) map[string]string {
	t.Helper()
	got := map[string]string{}
	for e, err := range s.All(t.Context()) {
		if err != nil {
			t.Fatalf("All: %v", err)
		}
		if _, dup := got[e.Key]; dup {
			t.Errorf("All yielded %q twice", e.Key)
		}
		got[e.Key] = string(e.Value)
	}
	keys, err := kv.Collect(s.Keys(t.Context()))
	if err != nil {
		t.Fatalf("Keys: %v", err)
	}
	want := make([]string, 0, len(got))
	for k := range got {
		want = append(want, k)
	}
	slices.Sort(keys)
	slices.Sort(want)
	if diff := cmp.Diff(want, keys, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Keys and All disagree (-All +Keys):\n%s", diff)
	}
	if n, err := s.Len(t.Context()); err != nil || n != len(got) {
		t.Errorf("Len = %d, %v; All yielded %d", n, err, len(got))
	}
	return got
}

// TestIsolation puts two stores and another application's keys on one
// client, with names whose unescaped SCAN pattern would match the other
// keys, and checks that each store sees and clears only its own keys.
func TestIsolation(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ctx := t.Context()
			client := newClient(t, m.option(t))
			r := uniqueName(t)[len(`kvtest*?[\`):]
			// Unescaped, the pattern `i?*[ab]R:*` matches "iQQbR:k".
			name := "i?*[ab]" + r
			a, err := redis.New(client, name)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { clearName(t, client, name) })
			b := newStore(t, client)
			foreign := []string{
				"iQQb" + r + ":k",   // matches a's prefix as a glob
				name,                // a's name without the colon
				name + "-other:k",   // a's name as a plain prefix
				"other-app:" + name, // someone else's namespace
			}
			for _, k := range foreign {
				if err := client.Do(ctx, client.B().Set().Key(k).Value("foreign").Build()).Error(); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() {
				for _, k := range foreign {
					client.Do(context.Background(), client.B().Del().Key(k).Build())
				}
			})

			for i := range 20 {
				mustSet(t, a, fmt.Sprint("k", i), "a")
				mustSet(t, b, fmt.Sprint("k", i), "b")
			}
			mustSet(t, a, "only-a", "a")
			wantA := map[string]string{"only-a": "a"}
			wantB := map[string]string{}
			for i := range 20 {
				wantA[fmt.Sprint("k", i)] = "a"
				wantB[fmt.Sprint("k", i)] = "b"
			}
			if diff := cmp.Diff(wantA, contents(t, a)); diff != "" {
				t.Errorf("store a (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantB, contents(t, b)); diff != "" {
				t.Errorf("store b (-want +got):\n%s", diff)
			}
			if err := a.Clear(ctx); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]string{}, contents(t, a)); diff != "" {
				t.Errorf("store a after Clear (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantB, contents(t, b)); diff != "" {
				t.Errorf("store b after a.Clear (-want +got):\n%s", diff)
			}
			for _, k := range foreign {
				v, err := client.Do(ctx, client.B().Get().Key(k).Build()).ToString()
				if err != nil || v != "foreign" {
					t.Errorf("another application's key %q after Clear: %q, %v", k, v, err)
				}
			}
		})
	}
}

// TestPrefixScanEscapes checks Scan with prefixes holding glob
// metacharacters: each matches itself only.
func TestPrefixScanEscapes(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			s := newStore(t, newClient(t, m.option(t)))
			for _, k := range []string{"a*b", "a*", "ab", "a?", "aXb", "a[b]", "ab]", `a\b`, `a\`, "b"} {
				mustSet(t, s, k, k)
			}
			for prefix, want := range map[string][]string{
				"a*":  {"a*", "a*b"},
				"a?":  {"a?"},
				"a[":  {"a[b]"},
				`a\`:  {`a\`, `a\b`},
				"ab":  {"ab", "ab]"},
				"a[b": {"a[b]"},
				"":    {"a*b", "a*", "ab", "a?", "aXb", "a[b]", "ab]", `a\b`, `a\`, "b"},
			} {
				var got []string
				for e, err := range s.Scan(t.Context(), prefix) {
					if err != nil {
						t.Fatalf("Scan(%q): %v", prefix, err)
					}
					if string(e.Value) != e.Key {
						t.Errorf("Scan(%q) yielded %q with value %q", prefix, e.Key, e.Value)
					}
					got = append(got, e.Key)
				}
				slices.Sort(got)
				slices.Sort(want)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Scan(%q) (-want +got):\n%s", prefix, diff)
				}
			}
		})
	}
}

// masterOf maps each hash slot to the address of the master serving it,
// from CLUSTER SLOTS.
func masterOf(t *testing.T, client rueidis.Client) func(slot int64) string {
	t.Helper()
	ranges, err := client.Do(t.Context(), client.B().ClusterSlots().Build()).ToArray()
	if err != nil {
		t.Fatal(err)
	}
	type span struct {
		from, to int64
		addr     string
	}
	var spans []span
	for _, r := range ranges {
		v, err := r.ToArray()
		if err != nil || len(v) < 3 {
			t.Fatalf("CLUSTER SLOTS entry %v: %v", r, err)
		}
		from, _ := v[0].AsInt64()
		to, _ := v[1].AsInt64()
		node, _ := v[2].ToArray()
		host, _ := node[0].ToString()
		port, _ := node[1].AsInt64()
		spans = append(spans, span{from, to, fmt.Sprintf("%s:%d", host, port)})
	}
	return func(slot int64) string {
		for _, s := range spans {
			if s.from <= slot && slot <= s.to {
				return s.addr
			}
		}
		t.Fatalf("no master serves slot %d", slot)
		return ""
	}
}

// TestClusterSpread writes enough keys to land on every master of the
// cluster and checks that Len, Keys, All, Scan and Clear reach all of them.
func TestClusterSpread(t *testing.T) {
	ctx := t.Context()
	client := newClient(t, clusterOption(t))
	s := newStore(t, client)
	const n = 300
	want := map[string]string{}
	entries := make([]kv.Entry[string, []byte], 0, n)
	for i := range n {
		k := fmt.Sprintf("key-%03d", i)
		want[k] = "v" + k
		entries = append(entries, kv.Entry[string, []byte]{Key: k, Value: []byte(want[k])})
	}
	if err := s.SetMany(ctx, entries); err != nil {
		t.Fatal(err)
	}

	master := masterOf(t, client)
	perMaster := map[string]int{}
	for k := range want {
		slot, err := client.Do(ctx, client.B().ClusterKeyslot().Key(s.Key(k)).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		perMaster[master(slot)]++
	}
	if len(perMaster) < 3 {
		t.Fatalf("the keys landed on %d masters (%v), want 3: the test proves nothing", len(perMaster), perMaster)
	}
	t.Logf("keys per master: %v", perMaster)

	if diff := cmp.Diff(want, contents(t, s)); diff != "" {
		t.Errorf("contents (-want +got):\n%s", diff)
	}
	got, err := kv.Collect(s.Scan(ctx, "key-1"))
	if err != nil || len(got) != 100 {
		t.Errorf("Scan(key-1) yielded %d entries, %v; want 100", len(got), err)
	}
	keys := make([]string, 0, n)
	for k := range want {
		keys = append(keys, k)
	}
	many, err := s.GetMany(ctx, append(keys, "absent"))
	if err != nil || len(many) != n {
		t.Errorf("GetMany found %d of %d keys, %v", len(many), n, err)
	}

	if err := s.DeleteMany(ctx, keys[:n/2]); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Len(ctx); err != nil || got != n-n/2 {
		t.Errorf("Len after DeleteMany of half = %d, %v; want %d", got, err, n-n/2)
	}
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if n, err := client.Do(ctx, client.B().Exists().Key(s.Key(k)).Build()).AsInt64(); err != nil || n != 0 {
			t.Fatalf("EXISTS %q after Clear = %d, %v", s.Key(k), n, err)
		}
	}
}

// TestClientSideCache checks that a store with the cache serves repeated
// reads from it, and sees a value written by another client once Redis
// has invalidated the cached one.
func TestClientSideCache(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ctx := t.Context()
			client := newClient(t, m.option(t))
			other := newClient(t, m.option(t))
			const ttl = time.Minute
			s := newStore(t, client, redis.WithClientSideCache(ttl))
			mustSet(t, s, "k", "v1")
			mustSet(t, s, "m", "m1")
			if v, err := s.Get(ctx, "k"); err != nil || string(v) != "v1" {
				t.Fatalf("Get = %q, %v; want v1", v, err)
			}
			if got, err := s.GetMany(ctx, []string{"m", "absent"}); err != nil || string(got["m"]) != "m1" || len(got) != 1 {
				t.Fatalf("GetMany = %q, %v", got, err)
			}
			// The store's read filled the client's cache.
			for _, k := range []string{"k", "m"} {
				if !client.DoCache(ctx, client.B().Get().Key(s.Key(k)).Cache(), ttl).IsCacheHit() {
					t.Fatalf("a GET of %q after the store's read was not a cache hit", k)
				}
			}
			// A value the caller changes cannot change the cache.
			v, _ := s.Get(ctx, "k")
			clear(v)
			if v, err := s.Get(ctx, "k"); err != nil || string(v) != "v1" {
				t.Fatalf("Get after changing a returned slice = %q, %v; want v1", v, err)
			}

			// Another client writes; Redis invalidates; the store sees it.
			for k, v := range map[string]string{"k": "v2", "m": "m2"} {
				if err := other.Do(ctx, other.B().Set().Key(s.Key(k)).Value(v).Build()).Error(); err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				v, err := s.Get(ctx, "k")
				many, err2 := s.GetMany(ctx, []string{"m"})
				if err != nil || err2 != nil {
					t.Fatal(err, err2)
				}
				if string(v) == "v2" && string(many["m"]) == "m2" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("5s after another client wrote, Get = %q and GetMany = %q; want v2 and m2", v, many)
				}
				time.Sleep(10 * time.Millisecond)
			}

			// The cache never outlives the key's own expiry.
			mustSet(t, s, "short", "v", kv.WithTTL(300*time.Millisecond))
			if _, err := s.Get(ctx, "short"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(400 * time.Millisecond)
			if v, err := s.Get(ctx, "short"); !errors.Is(err, kv.ErrNotFound) {
				t.Fatalf("Get of an expired key through the cache = %q, %v; want kv.ErrNotFound", v, err)
			}
		})
	}
}

// TestNativeExpiry checks that a TTL becomes the key's Redis expiry, so the
// server removes the entry itself, and that an expiry in the past deletes
// the key instead of writing it.
func TestNativeExpiry(t *testing.T) {
	ctx := t.Context()
	client := newClient(t, standaloneOption(t))
	s := newStore(t, client)
	pttl := func(k string) int64 {
		t.Helper()
		ms, err := client.Do(ctx, client.B().Pttl().Key(s.Key(k)).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	mustSet(t, s, "hour", "v", kv.WithTTL(time.Hour))
	if ms := pttl("hour"); ms <= 3590_000 || ms > 3600_000 {
		t.Errorf("PTTL after WithTTL(1h) = %dms", ms)
	}
	mustSet(t, s, "sub-ms", "v", kv.WithTTL(1500*time.Microsecond))
	if ms := pttl("sub-ms"); ms > 2 {
		t.Errorf("PTTL after WithTTL(1.5ms) = %dms, want at most 2", ms)
	}
	mustSet(t, s, "never", "v", kv.WithTTL(time.Hour))
	mustSet(t, s, "never", "v")
	if ms := pttl("never"); ms != -1 {
		t.Errorf("PTTL after Set without TTL over one with = %d, want -1", ms)
	}
	mustSet(t, s, "past", "v")
	mustSet(t, s, "past", "v", kv.WithExpiresAt(time.Now().Add(-time.Second)))
	if ms := pttl("past"); ms != -2 {
		t.Errorf("PTTL after WithExpiresAt in the past = %d, want -2 (no key)", ms)
	}
}

// TestForeignTypes puts a list under the store's prefix, as another
// program might: reads of it are kv.ErrCorrupt, and iteration goes on
// past it.
func TestForeignTypes(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ctx := t.Context()
			client := newClient(t, m.option(t))
			s := newStore(t, client)
			mustSet(t, s, "a", "1")
			mustSet(t, s, "b", "2")
			if err := client.Do(ctx, client.B().Lpush().Key(s.Key("list")).Element("x").Build()).Error(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "list"); !errors.Is(err, kv.ErrCorrupt) {
				t.Errorf("Get of a list: %v, want kv.ErrCorrupt", err)
			}
			// MGET answers nil for a key that holds no string: GetMany
			// leaves it out (or, reading GET by GET, reports it corrupt).
			if got, err := s.GetMany(ctx, []string{"a", "list"}); !errors.Is(err, kv.ErrCorrupt) &&
				(err != nil || !cmp.Equal(got, map[string][]byte{"a": []byte("1")})) {
				t.Errorf("GetMany over a list = %q, %v; want only a, or kv.ErrCorrupt", got, err)
			}
			good, corrupt := map[string]string{}, 0
			for e, err := range s.All(ctx) {
				switch {
				case errors.Is(err, kv.ErrCorrupt):
					corrupt++
					if e.Key != "list" {
						t.Errorf("corrupt entry yielded with key %q, want list", e.Key)
					}
				case err != nil:
					t.Fatal(err)
				default:
					good[e.Key] = string(e.Value)
				}
			}
			if diff := cmp.Diff(map[string]string{"a": "1", "b": "2"}, good); diff != "" || corrupt != 1 {
				t.Errorf("All: %d corrupt, entries (-want +got):\n%s", corrupt, diff)
			}
			if n, err := s.Len(ctx); err != nil || n != 3 {
				t.Errorf("Len = %d, %v; want 3 (the list is a key of the store)", n, err)
			}
			if err := s.Clear(ctx); err != nil {
				t.Fatal(err)
			}
			if n, err := s.Len(ctx); err != nil || n != 0 {
				t.Errorf("Len after Clear = %d, %v", n, err)
			}
		})
	}
}

// TestOpenAndNew checks who closes the client, and the constructors'
// errors.
func TestOpenAndNew(t *testing.T) {
	ctx := t.Context()
	opt := standaloneOption(t)
	name := uniqueName(t)
	s, err := redis.Open(ctx, opt, name)
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, "k", "v")
	owned := s.Client()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := owned.Do(ctx, owned.B().Ping().Build()).Error(); !errors.Is(err, rueidis.ErrClosing) {
		t.Errorf("PING on the client of a closed Open store: %v, want rueidis.ErrClosing", err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Get after Close: %v, want kv.ErrClosed", err)
	}

	client := newClient(t, opt)
	t.Cleanup(func() { clearName(t, client, name) })
	borrowed, err := redis.New(client, name)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := borrowed.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Errorf("Get through New of what Open wrote = %q, %v", v, err)
	}
	if err := borrowed.Close(); err != nil {
		t.Fatal(err)
	}
	if err := client.Do(ctx, client.B().Ping().Build()).Error(); err != nil {
		t.Errorf("PING on a borrowed client after the store closed: %v", err)
	}
	if _, err := borrowed.Get(ctx, "k"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Get after Close of a New store: %v, want kv.ErrClosed", err)
	}

	if _, err := redis.New(client, ""); err == nil {
		t.Error("New with an empty name: no error")
	}
	if _, err := redis.New(nil, "x"); err == nil {
		t.Error("New with a nil client: no error")
	}
	if _, err := redis.Open(ctx, opt, ""); err == nil {
		t.Error("Open with an empty name: no error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := redis.Open(cancelled, opt, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := redis.Open(ctx, rueidis.ClientOption{InitAddress: []string{"127.0.0.1:1"}}, "x"); err == nil {
		t.Error("Open of an address nobody listens on: no error")
	}
}
