package kv_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/memory"
)

// TestValueCodecsAreDeterministic checks the codecs that say they are
// deterministic: equal values (maps built in different orders) encode to
// equal bytes, and a decoded value encodes back to the bytes it came from,
// which is what Typed's CompareAndSwap after a Get needs.
func TestValueCodecsAreDeterministic(t *testing.T) {
	for name, c := range map[string]kv.Codec[record]{"cbor": kv.CBOR[record](), "json": kv.JSON[record]()} {
		t.Run(name, func(t *testing.T) { checkDeterministic(t, c) })
	}
	for name, c := range map[string]any{"bytes": kv.Bytes(), "string": kv.String()} {
		if d, ok := c.(interface{ Deterministic() bool }); !ok || !d.Deterministic() {
			t.Errorf("%s does not say it is deterministic", name)
		}
	}
	ring, err := kv.NewKeyring(1, map[uint32][]byte{1: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := kv.EncryptCodec(kv.Bytes(), ring).(kv.DeterministicCodec[[]byte]); !ok || d.Deterministic() {
		t.Error("EncryptCodec does not say it is not deterministic")
	}
}

// checkDeterministic checks that c says it is deterministic, encodes one
// value (a map filled in different orders) to the same bytes every time,
// and a decoded value back to the bytes it came from.
func checkDeterministic(t *testing.T, c kv.Codec[record]) {
	t.Helper()
	if d, ok := c.(kv.DeterministicCodec[record]); !ok || !d.Deterministic() {
		t.Fatal("the codec does not say it is deterministic")
	}
	var first []byte
	for i := range 20 {
		v := sample()
		v.Headers = map[string][]string{}
		for j := range 30 {
			k := strconv.Itoa((j*7 + i) % 30) // another insertion order each time
			v.Headers[k] = []string{k}
		}
		b, err := c.Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Fatalf("one value encoded to different bytes:\n%q\n%q", first, b)
		}
	}
	back, err := c.Decode(first)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := c.Encode(back); err != nil || !bytes.Equal(again, first) {
		t.Fatalf("a decoded value encodes to other bytes (%v):\n%q\n%q", err, first, again)
	}
}

// TestTypedUpdateOfStructs runs concurrent kv.Update calls through Typed
// with each deterministic codec over a struct holding a map: every
// increment lands, which needs CompareAndSwap to compare the encoding of
// the value Update read with the bytes the store holds.
func TestTypedUpdateOfStructs(t *testing.T) {
	for name, c := range map[string]kv.Codec[record]{"cbor": kv.CBOR[record](), "json": kv.JSON[record]()} {
		t.Run(name, func(t *testing.T) {
			m := memory.New[string, []byte]()
			defer m.Close()
			s := kv.Typed(m, kv.StringKeys(), c)
			const writers, each = 8, 20
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for range each {
						_, err := kv.Update(t.Context(), s, "r", func(old record, found bool) (record, error) {
							next := old
							if !found {
								next = sample()
							}
							// A new map: old's is compared after fn returns.
							next.Headers = maps.Clone(next.Headers)
							if next.Headers == nil {
								next.Headers = map[string][]string{}
							}
							next.Count++
							k := strconv.Itoa(w)
							next.Headers[k] = append(slices.Clip(next.Headers[k]), "x")
							return next, nil
						})
						if err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			got, err := s.Get(t.Context(), "r")
			if err != nil {
				t.Fatal(err)
			}
			if want := sample().Count + writers*each; got.Count != want {
				t.Errorf("Count = %d, want %d: updates lost", got.Count, want)
			}
			for w := range writers {
				if n := len(got.Headers[strconv.Itoa(w)]); n != each {
					t.Errorf("writer %d: %d marks, want %d", w, n, each)
				}
			}
		})
	}
}

// TestTypedConditionalNeedsADeterministicCodec checks that Update through
// Typed with a codec that is not deterministic fails with ErrUnsupported,
// as on a store without the capability, instead of looping on bytes that
// never match.
func TestTypedConditionalNeedsADeterministicCodec(t *testing.T) {
	m := memory.New[string, []byte]()
	defer m.Close()
	ring, err := kv.NewKeyring(1, map[uint32][]byte{1: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	s := kv.Typed(m, kv.StringKeys(), kv.EncryptCodec(kv.String(), ring))
	_, err = kv.Update(t.Context(), s, "k", func(string, bool) (string, error) { return "v", nil })
	if !errors.Is(err, kv.ErrUnsupported) {
		t.Fatalf("Update through Typed with EncryptCodec: %v, want ErrUnsupported", err)
	}
	if _, ok := kv.Typed(m, kv.StringKeys(), kv.String()).(kv.ConditionalWriter[string, string]); !ok {
		t.Error("Typed with String over the memory store is not a ConditionalWriter")
	}
}

// TestTieredConditionalIsDecidedByFar checks that a Tiered whose near copy
// is stale (another Tiered wrote far) does not swap against it, drops it,
// and that kv.Update through it then reads far and lands.
func TestTieredConditionalIsDecidedByFar(t *testing.T) {
	ctx := context.Background()
	far := memory.New[string, []byte]()
	defer far.Close()
	tier := func() byteStore {
		near := memory.New[string, []byte](memory.WithMaxEntries(100))
		t.Cleanup(func() { near.Close() })
		return kv.Tiered[string, []byte](near, far, kv.WithNearTTL(time.Hour))
	}
	a, b := tier(), tier()
	ca := a.(kv.ConditionalWriter[string, []byte])
	cb := b.(kv.ConditionalWriter[string, []byte])
	wantDone(t, "SetIfAbsent", true)(ca.SetIfAbsent(ctx, "k", []byte("1")))
	if v, _ := b.Get(ctx, "k"); string(v) != "1" {
		t.Fatalf("b.Get = %q, want 1", v)
	}
	wantDone(t, "b.CompareAndSwap", true)(cb.CompareAndSwap(ctx, "k", []byte("1"), []byte("2")))
	// a's near copy still says 1 (the documented staleness) ...
	if v, _ := a.Get(ctx, "k"); string(v) != "1" {
		t.Fatalf("a.Get = %q; the test expects a's near copy to be stale", v)
	}
	// ... but the swap is far's to decide, and the stale copy goes.
	wantDone(t, "a.CompareAndSwap against its stale copy", false)(ca.CompareAndSwap(ctx, "k", []byte("1"), []byte("3")))
	if v, _ := a.Get(ctx, "k"); string(v) != "2" {
		t.Fatalf("a.Get after the refused swap = %q, want 2 (read from far)", v)
	}
	// Update through a, whose near copy b makes stale again, lands.
	wantDone(t, "b.CompareAndSwap", true)(cb.CompareAndSwap(ctx, "k", []byte("2"), []byte("10")))
	got, err := kv.Update(ctx, a, "k", increment)
	if err != nil || string(got) != "11" {
		t.Fatalf("Update through a = %q, %v; want 11", got, err)
	}
	if v, _ := far.Get(ctx, "k"); string(v) != "11" {
		t.Fatalf("far holds %q, want 11", v)
	}
	// A CompareAndDelete through b removes b's near copy too.
	wantDone(t, "b.CompareAndDelete", true)(cb.CompareAndDelete(ctx, "k", []byte("11")))
	if _, err := b.Get(ctx, "k"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("b.Get after CompareAndDelete: %v, want ErrNotFound", err)
	}
}

// wantDone stops the test unless a conditional write reported want with
// no error.
func wantDone(t *testing.T, what string, want bool) func(bool, error) {
	t.Helper()
	return func(got bool, err error) {
		t.Helper()
		if err != nil || got != want {
			t.Fatalf("%s = %v, %v; want %v", what, got, err, want)
		}
	}
}

// increment is a kv.Update function over decimal counters.
func increment(old []byte, found bool) ([]byte, error) {
	n := 0
	if found {
		var err error
		if n, err = strconv.Atoi(string(old)); err != nil {
			return nil, err
		}
	}
	return []byte(strconv.Itoa(n + 1)), nil
}
