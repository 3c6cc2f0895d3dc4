package conformance

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// SeedEnv names the environment variable that fixes the seed of the Random
// subtest, to replay a failure. Without it the seed comes from the clock;
// the subtest logs the seed it uses.
const SeedEnv = "KV_CONFORMANCE_SEED"

const randomOps = 400

// testRandom runs a seeded random sequence of operations and checks every
// result against a map.
func testRandom(t *testing.T, h *harness) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(SeedEnv); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", SeedEnv, v, err)
		}
	}
	t.Logf("random sequence with seed %d (replay it with %s=%d)", seed, SeedEnv, seed)
	r := &randomRun{
		t: t, h: h, s: h.store(), seed: seed,
		rand:  rand.New(rand.NewPCG(seed, seed^0x5eed)),
		model: make(map[string][]byte),
		// Few keys, so operations meet, with keys that are prefixes of
		// each other for Scan.
		space: []string{"a", "b", "c", "d", "ab", "abc", "a/b", "a_c", "A", "b%", "é", "k\x00"},
	}
	for r.op = range randomOps {
		r.step()
	}
	r.check()
}

type randomRun struct {
	t       *testing.T
	h       *harness
	s       store
	seed    uint64
	rand    *rand.Rand
	model   map[string][]byte
	space   []string
	op      int
	history []string
}

// fail stops the subtest with the seed, the operation and the ones before.
func (r *randomRun) fail(format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("seed %d (replay with %s=%d), operation %d, %s: %s\nthe operations before it, oldest first:\n\t%s",
		r.seed, SeedEnv, r.seed, r.op, r.history[len(r.history)-1], fmt.Sprintf(format, args...),
		strings.Join(r.history[:len(r.history)-1], "\n\t"))
}

func (r *randomRun) log(format string, args ...any) {
	r.history = append(r.history, fmt.Sprintf(format, args...))
	if len(r.history) > 16 {
		r.history = r.history[1:]
	}
}

func (r *randomRun) key() string { return r.space[r.rand.IntN(len(r.space))] }

func (r *randomRun) keys() []string {
	ks := make([]string, r.rand.IntN(5))
	for i := range ks {
		ks[i] = r.key()
	}
	return ks
}

func (r *randomRun) value() []byte {
	v := make([]byte, r.rand.IntN(40))
	for i := range v {
		v[i] = byte(r.rand.Uint32())
	}
	return v
}

// expiry returns a random option and whether it makes the entry expired.
func (r *randomRun) expiry() (kv.SetOption, string, bool) {
	if !r.h.caps.TTL {
		return nil, "", false
	}
	switch r.rand.IntN(6) {
	case 0:
		return kv.WithTTL(time.Hour), " WithTTL(1h)", false
	case 1:
		return kv.WithTTL(0), " WithTTL(0)", false
	case 2:
		return kv.WithExpiresAt(time.Now().Add(-time.Minute)), " WithExpiresAt(past)", true
	}
	return nil, "", false
}

func (r *randomRun) step() {
	ctx := r.h.ctx
	switch n := r.rand.IntN(100); {
	case n < 25:
		k, v := r.key(), r.value()
		opt, desc, expired := r.expiry()
		r.log("Set(%q, %d bytes%s)", k, len(v), desc)
		var err error
		if opt != nil {
			err = r.s.Set(ctx, k, v, opt)
		} else {
			err = r.s.Set(ctx, k, v)
		}
		if err != nil {
			r.fail("%v", err)
		}
		if expired {
			delete(r.model, k)
		} else {
			r.model[k] = v
		}
	case n < 45:
		k := r.key()
		r.log("Get(%q)", k)
		got, err := r.s.Get(ctx, k)
		want, ok := r.model[k]
		switch {
		case !ok && !isNotFound(err):
			r.fail("got %s, %v; want kv.ErrNotFound", qv(got), err)
		case ok && err != nil:
			r.fail("%v; want %s", err, qv(want))
		case ok && !bytes.Equal(got, want):
			r.fail("got %s", diffBytes(got, want))
		}
	case n < 53:
		k := r.key()
		r.log("Has(%q)", k)
		_, want := r.model[k]
		if got, err := r.s.Has(ctx, k); err != nil || got != want {
			r.fail("got %v, %v; want %v", got, err, want)
		}
	case n < 65:
		k := r.key()
		r.log("Delete(%q)", k)
		if err := r.s.Delete(ctx, k); err != nil {
			r.fail("%v", err)
		}
		delete(r.model, k)
	case n < 72:
		r.log("Len")
		if got, err := r.s.Len(ctx); err != nil || got != len(r.model) {
			r.fail("got %d, %v; want %d", got, err, len(r.model))
		}
	case n < 78:
		ks := r.keys()
		r.log("GetMany(%q)", ks)
		got, err := kv.GetMany(ctx, r.s, ks)
		if err != nil {
			r.fail("%v", err)
		}
		want := make(map[string][]byte)
		for _, k := range ks {
			if v, ok := r.model[k]; ok {
				want[k] = v
			}
		}
		if !maps.EqualFunc(got, want, bytes.Equal) {
			r.fail("got %q, want %q", got, want)
		}
	case n < 84:
		var entries []kv.Entry[string, []byte]
		var descs []string
		for _, k := range r.keys() {
			e := kv.Entry[string, []byte]{Key: k, Value: r.value()}
			if r.h.caps.TTL && r.rand.IntN(4) == 0 {
				e.ExpiresAt = time.Now().Add(-time.Minute)
			}
			entries = append(entries, e)
			descs = append(descs, fmt.Sprintf("%q (expired: %v)", k, !e.ExpiresAt.IsZero()))
		}
		r.log("SetMany(%s)", strings.Join(descs, ", "))
		if err := kv.SetMany(ctx, r.s, entries); err != nil {
			r.fail("%v", err)
		}
		for _, e := range entries {
			if e.ExpiresAt.IsZero() {
				r.model[e.Key] = e.Value
			} else {
				delete(r.model, e.Key)
			}
		}
	case n < 89:
		ks := r.keys()
		r.log("DeleteMany(%q)", ks)
		if err := kv.DeleteMany(ctx, r.s, ks); err != nil {
			r.fail("%v", err)
		}
		for _, k := range ks {
			delete(r.model, k)
		}
	case n < 95:
		prefix := r.key()
		prefix = prefix[:r.rand.IntN(len(prefix)+1)]
		r.log("Scan(%q)", prefix)
		entries, err, problem := drain(kv.Scan(ctx, r.s, prefix))
		if err != nil || problem != nil {
			r.fail("%v (%v)", err, problem)
		}
		got := make(map[string][]byte)
		for _, e := range entries {
			if _, dup := got[e.Key]; dup {
				r.fail("yielded %q twice", e.Key)
			}
			got[e.Key] = e.Value
		}
		want := make(map[string][]byte)
		for k, v := range r.model {
			if strings.HasPrefix(k, prefix) {
				want[k] = v
			}
		}
		if !maps.EqualFunc(got, want, bytes.Equal) {
			r.fail("got %q, want %q", got, want)
		}
	case n < 97:
		r.log("Clear")
		if err := r.s.Clear(ctx); err != nil {
			r.fail("%v", err)
		}
		clear(r.model)
	default:
		r.check()
	}
}

// check compares the whole store with the model.
func (r *randomRun) check() {
	r.t.Helper()
	wantContents(r.t, r.h.ctx, r.s, r.model)
	if r.t.Failed() {
		r.log("check everything")
		r.fail("the store differs from the model")
	}
}
