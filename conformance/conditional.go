package conformance

import (
	"bytes"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// The conditional subtests test kv.ConditionalWriter when
// Capabilities.Conditional is declared: each operation on an absent, an
// expired and a present key, the TTL of the written value, values of every
// size, a counter that concurrent kv.Update calls must not lose increments
// of, and the same over two handles on one location, and concurrent
// SetIfAbsent calls of one key of which exactly one stores.

func (s *suite) conditional(t *testing.T) {
	t.Run("SetIfAbsent", s.test(testSetIfAbsent))
	t.Run("CompareAndSwap", s.test(testCompareAndSwap))
	t.Run("CompareAndDelete", s.test(testCompareAndDelete))
	t.Run("TTL", s.test(testConditionalTTL))
	t.Run("Values", s.test(testConditionalValues))
	t.Run("Counter", s.test(testCounter))
	t.Run("SharedHandles", s.test(testCounterShared))
	t.Run("Race", s.test(testSetIfAbsentRace))
}

// conditionalStore opens a handle and returns its ConditionalWriter,
// skipping when the capability is not declared.
func (h *harness) conditionalStore() (store, kv.ConditionalWriter[string, []byte]) {
	h.t.Helper()
	h.needs("Conditional", h.caps.Conditional)
	s := h.store()
	c, ok := s.(kv.ConditionalWriter[string, []byte])
	if !ok {
		h.t.Fatalf("Capabilities.Conditional is declared but %T does not implement kv.ConditionalWriter", s)
	}
	return s, c
}

// wantResult checks the boolean and error of one conditional call.
func wantResult(t *testing.T, what string, got bool, err error, want bool) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
	} else if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// setExpired writes key with an expiry in the past, when the store has
// TTLs, and reports whether it did.
func (h *harness) setExpired(s store, key string, value []byte) bool {
	if !h.caps.TTL {
		return false
	}
	mustSet(h.t, h.ctx, s, key, value, kv.WithExpiresAt(time.Now().Add(-time.Hour)))
	return true
}

func testSetIfAbsent(t *testing.T, h *harness) {
	s, c := h.conditionalStore()
	ok, err := c.SetIfAbsent(h.ctx, "k", []byte("first"))
	wantResult(t, "SetIfAbsent(absent)", ok, err, true)
	wantValue(t, h.ctx, s, "k", []byte("first"))

	ok, err = c.SetIfAbsent(h.ctx, "k", []byte("second"))
	wantResult(t, "SetIfAbsent(present)", ok, err, false)
	wantValue(t, h.ctx, s, "k", []byte("first"))

	if h.setExpired(s, "e", []byte("old")) {
		ok, err = c.SetIfAbsent(h.ctx, "e", []byte("new"))
		wantResult(t, "SetIfAbsent(expired)", ok, err, true)
		wantValue(t, h.ctx, s, "e", []byte("new"))
	}
	if _, err := c.SetIfAbsent(h.ctx, "neg", []byte("x"), kv.WithTTL(-time.Second)); !errors.Is(err, kv.ErrInvalidTTL) {
		t.Errorf("SetIfAbsent with a negative TTL: %v, want kv.ErrInvalidTTL", err)
	}
	wantMissing(t, h.ctx, s, "neg")
}

func testCompareAndSwap(t *testing.T, h *harness) {
	s, c := h.conditionalStore()
	ok, err := c.CompareAndSwap(h.ctx, "k", nil, []byte("new"))
	wantResult(t, "CompareAndSwap(absent, nil)", ok, err, false)
	ok, err = c.CompareAndSwap(h.ctx, "k", []byte{}, []byte("new"))
	wantResult(t, "CompareAndSwap(absent, empty)", ok, err, false)
	wantMissing(t, h.ctx, s, "k")

	mustSet(t, h.ctx, s, "k", []byte("v1"))
	ok, err = c.CompareAndSwap(h.ctx, "k", []byte("other"), []byte("v2"))
	wantResult(t, "CompareAndSwap(present, wrong old)", ok, err, false)
	ok, err = c.CompareAndSwap(h.ctx, "k", []byte("v"), []byte("v2"))
	wantResult(t, "CompareAndSwap(present, prefix of old)", ok, err, false)
	wantValue(t, h.ctx, s, "k", []byte("v1"))
	ok, err = c.CompareAndSwap(h.ctx, "k", []byte("v1"), []byte("v2"))
	wantResult(t, "CompareAndSwap(present, right old)", ok, err, true)
	wantValue(t, h.ctx, s, "k", []byte("v2"))

	if h.setExpired(s, "e", []byte("old")) {
		ok, err = c.CompareAndSwap(h.ctx, "e", []byte("old"), []byte("new"))
		wantResult(t, "CompareAndSwap(expired, its old value)", ok, err, false)
		wantMissing(t, h.ctx, s, "e")
	}
	if _, err := c.CompareAndSwap(h.ctx, "k", []byte("v2"), []byte("v3"), kv.WithTTL(-time.Second)); !errors.Is(err, kv.ErrInvalidTTL) {
		t.Errorf("CompareAndSwap with a negative TTL: %v, want kv.ErrInvalidTTL", err)
	}
	wantValue(t, h.ctx, s, "k", []byte("v2"))
}

func testCompareAndDelete(t *testing.T, h *harness) {
	s, c := h.conditionalStore()
	ok, err := c.CompareAndDelete(h.ctx, "k", nil)
	wantResult(t, "CompareAndDelete(absent)", ok, err, false)

	mustSet(t, h.ctx, s, "k", []byte("v1"))
	ok, err = c.CompareAndDelete(h.ctx, "k", []byte("v2"))
	wantResult(t, "CompareAndDelete(present, wrong old)", ok, err, false)
	wantValue(t, h.ctx, s, "k", []byte("v1"))
	ok, err = c.CompareAndDelete(h.ctx, "k", []byte("v1"))
	wantResult(t, "CompareAndDelete(present, right old)", ok, err, true)
	wantMissing(t, h.ctx, s, "k")

	if h.setExpired(s, "e", []byte("old")) {
		ok, err = c.CompareAndDelete(h.ctx, "e", []byte("old"))
		wantResult(t, "CompareAndDelete(expired, its old value)", ok, err, false)
	}
}

// testConditionalTTL checks that the TTL options apply to the written
// value, and that a write without them clears an earlier expiry.
func testConditionalTTL(t *testing.T, h *harness) {
	h.needs("TTL", h.caps.TTL)
	s, c := h.conditionalStore()
	ttl := h.ttl()
	start := time.Now()
	ok, err := c.SetIfAbsent(h.ctx, "a", []byte("1"), kv.WithTTL(ttl))
	wantResult(t, "SetIfAbsent with a TTL", ok, err, true)
	mustSet(t, h.ctx, s, "b", []byte("1"), kv.WithTTL(ttl))
	ok, err = c.CompareAndSwap(h.ctx, "b", []byte("1"), []byte("2"))
	wantResult(t, "CompareAndSwap without a TTL over an expiring entry", ok, err, true)
	mustSet(t, h.ctx, s, "c", []byte("1"))
	ok, err = c.CompareAndSwap(h.ctx, "c", []byte("1"), []byte("2"), kv.WithTTL(ttl))
	wantResult(t, "CompareAndSwap with a TTL", ok, err, true)
	h.sleepPastExpiry(start, ttl)
	wantMissing(t, h.ctx, s, "a")
	wantValue(t, h.ctx, s, "b", []byte("2"))
	wantMissing(t, h.ctx, s, "c")
}

// testConditionalValues compares values of every size, empty included,
// and values that differ only in their last byte.
func testConditionalValues(t *testing.T, h *harness) {
	s, c := h.conditionalStore()
	for _, n := range []int{0, 1, 100, 4 << 10, 64 << 10, h.caps.valueSize(1 << 20)} {
		key := "v" + strconv.Itoa(n)
		v := bytes.Repeat([]byte{0xA5}, n)
		ok, err := c.SetIfAbsent(h.ctx, key, v)
		wantResult(t, "SetIfAbsent("+key+")", ok, err, true)
		if n > 0 {
			near := bytes.Clone(v)
			near[n-1] ^= 1
			ok, err = c.CompareAndSwap(h.ctx, key, near, []byte("x"))
			wantResult(t, "CompareAndSwap("+key+", last byte differs)", ok, err, false)
			ok, err = c.CompareAndDelete(h.ctx, key, near)
			wantResult(t, "CompareAndDelete("+key+", last byte differs)", ok, err, false)
		}
		next := bytes.Repeat([]byte{0x5A}, n)
		ok, err = c.CompareAndSwap(h.ctx, key, v, next)
		wantResult(t, "CompareAndSwap("+key+")", ok, err, true)
		wantValue(t, h.ctx, s, key, next)
		ok, err = c.CompareAndDelete(h.ctx, key, next)
		wantResult(t, "CompareAndDelete("+key+")", ok, err, true)
		wantMissing(t, h.ctx, s, key)
	}
	// nil and empty are the same value.
	mustSet(t, h.ctx, s, "empty", []byte{})
	ok, err := c.CompareAndSwap(h.ctx, "empty", nil, []byte("x"))
	wantResult(t, "CompareAndSwap(empty value, nil old)", ok, err, true)
}

// Counter sizes: counterWriters goroutines each add counterIncrements.
const (
	counterWriters    = 8
	counterIncrements = 25
)

// increment is the kv.Update function of the counter tests.
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

// runCounter has counterWriters goroutines, each on the next of stores in
// turn, increment one key counterIncrements times with kv.Update, and
// checks that the count is exact: no update lost.
func runCounter(t *testing.T, h *harness, stores ...store) {
	var wg sync.WaitGroup
	errs := make(chan error, counterWriters)
	for i := range counterWriters {
		s := stores[i%len(stores)]
		wg.Go(func() {
			for range counterIncrements {
				if _, err := kv.Update(h.ctx, s, "counter", increment); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("kv.Update: %v", err)
	}
	wantValue(t, h.ctx, stores[0], "counter", []byte(strconv.Itoa(counterWriters*counterIncrements)))
}

func testCounter(t *testing.T, h *harness) {
	s, _ := h.conditionalStore()
	runCounter(t, h, s)
}

// testCounterShared runs the counter over two handles on one location.
func testCounterShared(t *testing.T, h *harness) {
	h.needs("SharedHandles", h.caps.SharedHandles)
	s, _ := h.conditionalStore()
	runCounter(t, h, s, h.store())
}

// raceWriters is how many goroutines testSetIfAbsentRace starts at once.
const raceWriters = 16

// testSetIfAbsentRace has raceWriters goroutines, on two handles when the
// store has SharedHandles, SetIfAbsent one absent key at once, and checks
// that exactly one stored and that the key holds its value.
func testSetIfAbsentRace(t *testing.T, h *harness) {
	s, c := h.conditionalStore()
	writers := []kv.ConditionalWriter[string, []byte]{c}
	if h.caps.SharedHandles {
		other, ok := h.store().(kv.ConditionalWriter[string, []byte])
		if !ok {
			t.Fatal("a second handle is not a kv.ConditionalWriter")
		}
		writers = append(writers, other)
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		stored [][]byte
	)
	start := make(chan struct{})
	for i := range raceWriters {
		w, v := writers[i%len(writers)], []byte(strconv.Itoa(i))
		wg.Go(func() {
			<-start
			ok, err := w.SetIfAbsent(h.ctx, "race", v)
			if err != nil {
				t.Errorf("SetIfAbsent: %v", err)
			}
			if ok {
				mu.Lock()
				stored = append(stored, v)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if len(stored) != 1 {
		t.Fatalf("%d of %d concurrent SetIfAbsent calls of one key stored, want 1", len(stored), raceWriters)
	}
	wantValue(t, h.ctx, s, "race", stored[0])
}
