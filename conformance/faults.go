package conformance

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kvkit/kv"
)

// FaultOp is the kind of operation a Faults function makes fail.
type FaultOp int

// The kinds of operation a store under test can be made to fail. A store
// maps them onto its own I/O: for a store over files, FaultRead is opening
// or reading an entry file, FaultWrite creating, writing, syncing or
// renaming one; for a store over a database, a query that reads and a
// statement that writes. FaultIterate is the read that an iteration (Keys,
// All) makes once it has started.
const (
	FaultRead FaultOp = iota + 1
	FaultWrite
	FaultIterate
)

func (op FaultOp) String() string {
	switch op {
	case FaultRead:
		return "read"
	case FaultWrite:
		return "write"
	case FaultIterate:
		return "iterate"
	}
	return "unknown"
}

// Faults makes the next n operations of kind op on one location fail with
// err, a value the suite makes, so that it can check that the store
// returns it wrapped (errors.Is) rather than swallowing or replacing it.
// n = 0 clears the faults of that kind. It is called between operations,
// except in Faults/ConcurrentSets, which arms and clears faults while Sets
// are under way (FaultSet is safe for that).
type Faults func(op FaultOp, n int, err error)

// errInjected is what the suite's fault subtests inject.
var errInjected = errors.New("conformance: injected fault")

// faults runs the subtests of a failing store: they need
// Config.NewFaultyStore, and are skipped without it.
func (s *suite) faults(t *testing.T) {
	if s.cfg.NewFaultyStore == nil {
		t.Skip("Config.NewFaultyStore is not set: the store is not tested on failure")
	}
	t.Run("SetKeepsOld", s.faulty(testFaultSetKeepsOld))
	t.Run("GetReports", s.faulty(testFaultGetReports))
	t.Run("GetManyReports", s.faulty(testFaultGetManyReports))
	t.Run("DeleteReports", s.faulty(testFaultDeleteReports))
	t.Run("ConcurrentSets", s.faulty(testFaultConcurrentSets))
	t.Run("IterationStops", s.faulty(testFaultIterationStops))
	t.Run("CloseAfterFault", s.faulty(testFaultClose))
}

// openWith makes h open its stores with the Opener that newStore (a
// Config hook that makes a location: NewFaultyStore, NewReadOnlyStore)
// returns, and returns what the hook gives beside it.
func openWith[T any](t *testing.T, h *harness, newStore func(testing.TB) (Opener, T)) T {
	h.newStoreMu.Lock()
	defer h.newStoreMu.Unlock()
	var extra T
	h.open, extra = newStore(t)
	return extra
}

// faulty is test over a location of NewFaultyStore.
func (s *suite) faulty(fn func(*testing.T, *harness, Faults)) func(*testing.T) {
	return func(t *testing.T) {
		t.Helper()
		h := s.newHarness(t)
		fail := openWith(t, h, s.cfg.NewFaultyStore)
		if h.open == nil || fail == nil {
			t.Fatal("Config.NewFaultyStore returned a nil Opener or Faults")
		}
		fn(t, h, fail)
	}
}

// wantInjected fails t unless err wraps the injected fault.
func wantInjected(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, errInjected) {
		t.Fatalf("%s under an injected fault: got %v, want an error wrapping %q", what, err, errInjected)
	}
}

// testFaultSetKeepsOld: a Set that fails returns the fault and leaves the
// old value whole, also after reopening.
func testFaultSetKeepsOld(t *testing.T, h *harness, fail Faults) {
	s := h.store()
	mustSet(t, h.ctx, s, "k", []byte("old"))
	fail(FaultWrite, 1, errInjected)
	err := s.Set(h.ctx, "k", []byte("new value, longer than the old one"))
	fail(FaultWrite, 0, nil)
	wantInjected(t, "Set", err)
	wantValue(t, h.ctx, s, "k", []byte("old"))
	wantLen(t, h.ctx, s, 1)
	if h.caps.Persistent {
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		wantValue(t, h.ctx, h.store(), "k", []byte("old"))
	}
}

// testFaultGetReports: a Get or Has that fails returns the fault, not
// ErrNotFound nor a value, and the next Get reads the entry.
func testFaultGetReports(t *testing.T, h *harness, fail Faults) {
	s := h.store()
	mustSet(t, h.ctx, s, "k", []byte("v"))
	fail(FaultRead, 1, errInjected)
	v, err := s.Get(h.ctx, "k")
	fail(FaultRead, 0, nil)
	wantInjected(t, "Get", err)
	if v != nil {
		t.Errorf("Get under an injected fault returned a value %q", v)
	}
	fail(FaultRead, 1, errInjected)
	ok, err := s.Has(h.ctx, "k")
	fail(FaultRead, 0, nil)
	wantInjected(t, "Has", err)
	if ok {
		t.Error("Has under an injected fault reported the key present")
	}
	wantValue(t, h.ctx, s, "k", []byte("v"))
}

// testFaultGetManyReports: a GetMany whose read fails returns the fault
// and no values (never a partial map that looks like missing keys), and
// the next GetMany reads every entry. It goes through kv.GetMany, so a
// store without BatchGetter is checked through its Gets.
func testFaultGetManyReports(t *testing.T, h *harness, fail Faults) {
	s := h.store()
	mustSet(t, h.ctx, s, "a", []byte("1"))
	mustSet(t, h.ctx, s, "b", []byte("2"))
	fail(FaultRead, 1, errInjected)
	got, err := kv.GetMany(h.ctx, s, []string{"a", "b"})
	fail(FaultRead, 0, nil)
	wantInjected(t, "GetMany", err)
	if len(got) != 0 {
		t.Errorf("GetMany under an injected fault returned values %q", got)
	}
	got, err = kv.GetMany(h.ctx, s, []string{"a", "b"})
	if err != nil || string(got["a"]) != "1" || string(got["b"]) != "2" || len(got) != 2 {
		t.Fatalf("GetMany after the fault = %q, %v; want both entries", got, err)
	}
}

// testFaultDeleteReports: a Delete whose write fails returns the fault and
// leaves the entry, and the next Delete removes it.
func testFaultDeleteReports(t *testing.T, h *harness, fail Faults) {
	s := h.store()
	mustSet(t, h.ctx, s, "k", []byte("v"))
	fail(FaultWrite, 1, errInjected)
	err := s.Delete(h.ctx, "k")
	fail(FaultWrite, 0, nil)
	wantInjected(t, "Delete", err)
	wantValue(t, h.ctx, s, "k", []byte("v"))
	if err := s.Delete(h.ctx, "k"); err != nil {
		t.Fatalf("Delete after the fault: %v", err)
	}
	wantMissing(t, h.ctx, s, "k")
}

// testFaultConcurrentSets: Sets from several goroutines at once (which a
// store may write together, in one transaction) each return the fault
// while every write fails, and none of them is written; then, with the
// faults armed and cleared by turns while such Sets are under way (so
// that some are queued or grouped when the faults start), each Set either
// returns nil and is there, or returns the fault and is not.
func testFaultConcurrentSets(t *testing.T, h *harness, fail Faults) {
	s := h.store()
	fail(FaultWrite, 1<<20, errInjected)
	errs := concurrentSets(h, s, "all", nil)
	fail(FaultWrite, 0, nil)
	for i, err := range errs {
		wantInjected(t, fmt.Sprintf("Set %d of %d, from %d goroutines, while every write fails", i+1, len(errs), setWriters), err)
	}
	wantLen(t, h.ctx, s, 0)

	armed := false
	errs = concurrentSets(h, s, "turns", func() {
		if armed = !armed; armed {
			fail(FaultWrite, 1<<20, errInjected)
		} else {
			fail(FaultWrite, 0, nil)
		}
	})
	fail(FaultWrite, 0, nil)
	for i, err := range errs {
		k := setKey("turns", i)
		if err == nil {
			wantValue(t, h.ctx, s, k, []byte(k))
			continue
		}
		wantInjected(t, fmt.Sprintf("Set(%s) while faults come and go", qk(k)), err)
		wantMissing(t, h.ctx, s, k)
	}
}

// The Sets of testFaultConcurrentSets: setWriters goroutines, setsEach
// Sets each, every one of a key of its own.
const setWriters, setsEach = 8, 48

func setKey(round string, i int) string {
	return fmt.Sprintf("%s-%d-%d", round, i/setsEach, i%setsEach)
}

// concurrentSets makes the Sets of round and returns their errors, in the
// order of setKey; while they run it calls toggle (if not nil) after
// every few that end.
func concurrentSets(h *harness, s store, round string, toggle func()) []error {
	errs := make([]error, setWriters*setsEach)
	var ended atomic.Int64
	var wg sync.WaitGroup
	for w := range setWriters {
		wg.Go(func() {
			for i := w * setsEach; i < (w+1)*setsEach; i++ {
				k := setKey(round, i)
				errs[i] = s.Set(h.ctx, k, []byte(k))
				ended.Add(1)
			}
		})
	}
	for last := int64(0); toggle != nil; runtime.Gosched() {
		n := ended.Load()
		if n == int64(len(errs)) {
			break
		}
		if n >= last+2 {
			last = n
			toggle()
		}
	}
	wg.Wait()
	return errs
}

// testFaultIterationStops: an iteration whose read fails yields the fault
// once and stops, for All and Keys.
func testFaultIterationStops(t *testing.T, h *harness, fail Faults) {
	s := h.store()
	for _, k := range []string{"a", "b", "c"} {
		mustSet(t, h.ctx, s, k, []byte(k))
	}
	check := func(name string, seq func(yield func(error) bool)) {
		t.Helper()
		fail(FaultIterate, 1, errInjected)
		defer fail(FaultIterate, 0, nil)
		var errs []error
		after := 0
		seq(func(err error) bool {
			if err != nil {
				errs = append(errs, err)
			} else if len(errs) > 0 {
				after++
			}
			return true
		})
		switch {
		case len(errs) == 0:
			t.Errorf("%s under an injected fault yielded no error", name)
		case len(errs) > 1 || after > 0:
			t.Errorf("%s went on after the error: %d errors, %d entries after the first", name, len(errs), after)
		default:
			wantInjected(t, name, errs[0])
		}
	}
	check("All", func(yield func(error) bool) {
		for _, err := range s.All(h.ctx) {
			if !yield(err) {
				return
			}
		}
	})
	check("Keys", func(yield func(error) bool) {
		for _, err := range s.Keys(h.ctx) {
			if !yield(err) {
				return
			}
		}
	})
	wantLen(t, h.ctx, s, 3)
}

// testFaultClose: after failed operations Close still works and the store
// reports ErrClosed.
func testFaultClose(t *testing.T, h *harness, fail Faults) {
	s := h.store()
	mustSet(t, h.ctx, s, "k", []byte("v"))
	fail(FaultWrite, 1, errInjected)
	wantInjected(t, "Set", s.Set(h.ctx, "k", []byte("w")))
	fail(FaultRead, 1, errInjected)
	_, err := s.Get(h.ctx, "k")
	wantInjected(t, "Get", err)
	if err := s.Close(); err != nil {
		t.Fatalf("Close after failed operations: %v", err)
	}
	fail(FaultWrite, 0, nil)
	fail(FaultRead, 0, nil)
	if _, err := s.Get(h.ctx, "k"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Get after Close: got %v, want ErrClosed", err)
	}
}

// FaultSet is a ready-made Faults for a backend's test: Arm is the Faults
// to return from Config.NewFaultyStore, Take what the wrapped client,
// connection or file system calls before each operation of a kind. The
// zero FaultSet injects nothing; it is safe for concurrent use.
type FaultSet struct {
	mu   sync.Mutex
	left map[FaultOp]int
	err  map[FaultOp]error
}

// Arm makes the next n calls of Take(op) return err (n = 0: none). It has
// the signature of Faults.
func (f *FaultSet) Arm(op FaultOp, n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.left == nil {
		f.left, f.err = make(map[FaultOp]int), make(map[FaultOp]error)
	}
	f.left[op], f.err[op] = n, err
}

// Take returns the error an operation of kind op must fail with, and
// counts it, or nil when none is armed. A nil *FaultSet returns nil.
func (f *FaultSet) Take(op FaultOp) error {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.left[op] <= 0 {
		return nil
	}
	f.left[op]--
	return f.err[op]
}
