package httpcache_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/internal/faulttest"
)

// damage is one way the bytes under a real key go bad.
type damage struct {
	name string
	// corrupt: the typed layer must report kv.ErrCorrupt. Otherwise the
	// bytes decode (an older format version) and httpcache must still
	// treat the entry as a miss, and report it as kv.ErrCorrupt itself.
	corrupt bool
	apply   func(t *testing.T, stored []byte) []byte
}

func damages() []damage {
	codec := kv.CBOR[*httpcache.Response]()
	return []damage{
		{"random bytes", true, func(*testing.T, []byte) []byte {
			rng := rand.New(rand.NewPCG(8, 8))
			b := make([]byte, 300)
			for i := range b {
				b[i] = byte(rng.UintN(256))
			}
			return b
		}},
		{"empty", true, func(*testing.T, []byte) []byte { return []byte{} }},
		{"truncated to half", true, func(_ *testing.T, b []byte) []byte { return b[:len(b)/2] }},
		{"truncated to one byte", true, func(_ *testing.T, b []byte) []byte { return b[:1] }},
		{"one byte short", true, func(_ *testing.T, b []byte) []byte { return b[:len(b)-1] }},
		{"older shape (CBOR array)", true, func(t *testing.T, _ []byte) []byte {
			b, err := kv.CBOR[[]any]().Encode([]any{200, map[string][]string{"Content-Type": {"text/plain"}}, []byte("old body")})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
		{"older version (v=0)", false, func(t *testing.T, b []byte) []byte {
			r, err := codec.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			r.Version = httpcache.FormatVersion - 1
			r.Body = []byte("old body")
			out, err := codec.Encode(r)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}},
		{"newer version", false, func(t *testing.T, b []byte) []byte {
			r, err := codec.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			r.Version = httpcache.FormatVersion + 1
			r.Body = []byte("future body")
			out, err := codec.Encode(r)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}},
		{"foreign map", false, func(t *testing.T, _ []byte) []byte {
			b, err := kv.CBOR[map[string]any]().Encode(map[string]any{"status": 200, "body": "old body", "version": 7})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
	}
}

// TestCorruptEntriesFault writes damaged bytes under the real keys of a
// cached response, through the raw byte store of every backend: the typed
// layer reports the undecodable ones as kv.ErrCorrupt, and httpcache
// treats every damaged entry as a miss, answers from the origin, removes
// the entry and reports it to its hook as kv.ErrCorrupt (the decodable
// ones of another format version too); then it caches again.
func TestCorruptEntriesFault(t *testing.T) {
	for _, b := range faulttest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			inst := b.New(t) // one store per backend, cleared for each case
			for _, d := range damages() {
				t.Run(d.name, func(t *testing.T) { testDamage(t, inst, d) })
			}
		})
	}
}

func testDamage(t *testing.T, inst faulttest.Instance, d damage) {
	ctx := context.Background()
	if err := inst.Store.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	typed := kv.Typed(inst.Store, kv.StringKeys(), kv.CBOR[*httpcache.Response]())
	origin := &cannedOrigin{header: http.Header{"Cache-Control": {"max-age=600"}}, body: []byte("fresh body")}
	var log errorLog
	tr := httpcache.New(typed, nil, httpcache.WithTransport(origin), httpcache.WithErrorHook(log.hook))
	defer tr.Close()
	const u = "http://example.test/corrupt"
	getFault(t, tr, u, nil)
	if got := getFault(t, tr, u, nil); got.status != httpcache.Hit {
		t.Fatalf("before damage: %s, want hit", got.status)
	}
	keys := rawKeys(t, inst.Store)
	if len(keys) != 1 {
		t.Fatalf("%d keys, want 1", len(keys))
	}
	key := keys[0]
	stored, err := inst.Store.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Store.Set(ctx, key, d.apply(t, stored)); err != nil {
		t.Fatal(err)
	}

	// The typed layer.
	r, err := typed.Get(ctx, key)
	switch {
	case d.corrupt && !errors.Is(err, kv.ErrCorrupt):
		t.Fatalf("typed Get: %v (value %+v), want kv.ErrCorrupt", err, r)
	case !d.corrupt && err != nil:
		t.Fatalf("typed Get of a decodable older format: %v", err)
	case !d.corrupt && r != nil && r.Version == httpcache.FormatVersion:
		t.Fatalf("older format decoded as the current version %d", r.Version)
	}

	// httpcache: a miss answered by the origin, and the entry removed
	// (the origin now says no-store, so nothing new replaces it).
	origin.mu.Lock()
	origin.header = http.Header{"Cache-Control": {"no-store"}}
	origin.mu.Unlock()
	hits := origin.hits.Load()
	got := getFault(t, tr, u, nil)
	if got.status != httpcache.Miss || got.body != "fresh body" || origin.hits.Load() != hits+1 {
		t.Fatalf("damaged entry: %s %q, want a miss from the origin", got.status, got.body)
	}
	if has, err := inst.Store.Has(ctx, key); err != nil || has {
		t.Fatalf("damaged entry still stored (has %v, err %v)", has, err)
	}
	if n := log.count(kv.ErrCorrupt); n != 1 {
		t.Fatalf("the hook heard of %d corrupt entries, want 1 (got %v)", n, log.errs)
	}
	if n := log.count(nil) - log.count(kv.ErrCorrupt); n != 0 {
		t.Fatalf("%d store errors other than corruption reported: %v", n, log.errs)
	}

	// And it caches again.
	origin.mu.Lock()
	origin.header = http.Header{"Cache-Control": {"max-age=600"}}
	origin.mu.Unlock()
	getFault(t, tr, u, nil)
	if got := getFault(t, tr, u, nil); got.status != httpcache.Hit || got.body != "fresh body" {
		t.Fatalf("after the damaged entry: %s %q, want a hit", got.status, got.body)
	}
}

// TestFileDamagedOnDiskFault damages the entry file of a file store
// behind its back (truncated, a flipped byte, emptied, replaced by
// garbage): the store reports kv.ErrCorrupt (its checksums), and httpcache
// treats it as a miss and removes the file.
func TestFileDamagedOnDiskFault(t *testing.T) {
	var fileBackend faulttest.Backend
	for _, b := range faulttest.Backends() {
		if b.Name == "file" {
			fileBackend = b
		}
	}
	cases := map[string]func([]byte) []byte{
		"truncated":    func(b []byte) []byte { return b[:len(b)-3] },
		"flipped byte": func(b []byte) []byte { b = append([]byte{}, b...); b[len(b)-2] ^= 0x40; return b },
		"header byte":  func(b []byte) []byte { b = append([]byte{}, b...); b[9] ^= 1; return b },
		"emptied":      func([]byte) []byte { return nil },
		"garbage":      func([]byte) []byte { return []byte(strings.Repeat("garbage!", 100)) },
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			inst := fileBackend.New(t)
			origin := &cannedOrigin{header: http.Header{"Cache-Control": {"max-age=600"}}, body: []byte("fresh body")}
			var log errorLog
			typed := kv.Typed(inst.Store, kv.StringKeys(), kv.CBOR[*httpcache.Response]())
			tr := httpcache.New(typed, nil, httpcache.WithTransport(origin), httpcache.WithErrorHook(log.hook))
			defer tr.Close()
			const u = "http://example.test/disk"
			getFault(t, tr, u, nil)
			key := rawKeys(t, inst.Store)[0]
			files, err := filepath.Glob(filepath.Join(inst.Dir, "*.kv"))
			if err != nil || len(files) != 1 {
				t.Fatalf("entry files %v (%v), want 1", files, err)
			}
			data, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(files[0], damage(data), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := inst.Store.Get(ctx, key); !errors.Is(err, kv.ErrCorrupt) {
				t.Fatalf("file store Get of a damaged file: %v, want kv.ErrCorrupt", err)
			}
			if _, err := typed.Get(ctx, key); !errors.Is(err, kv.ErrCorrupt) {
				t.Fatalf("typed Get of a damaged file: %v, want kv.ErrCorrupt", err)
			}
			if got := getFault(t, tr, u, nil); got.status != httpcache.Miss || got.body != "fresh body" {
				t.Fatalf("damaged file: %s %q, want a miss", got.status, got.body)
			}
			if log.count(kv.ErrCorrupt) == 0 {
				t.Fatalf("hook heard of no corruption: %v", log.errs)
			}
			if got := getFault(t, tr, u, nil); got.status != httpcache.Hit {
				t.Fatalf("after the damaged file: %s, want hit", got.status)
			}
		})
	}
}
