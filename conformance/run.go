package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// defaultWatchdog is how long one subtest of Run may take unless
// Config.Watchdog says otherwise. When it runs out, the subtest fails, its
// context is cancelled and its stores are closed, which unblocks a store
// that honours either.
const defaultWatchdog = 2 * time.Minute

// prompt is how long the suite waits for something that must be quick: a
// Close, or the first call after breaking out of an iteration. A store that
// exceeds it is reported as hung rather than waited for.
const prompt = 10 * time.Second

// Run tests the store that cfg describes against the contract of kv.Store
// and its optional capabilities. It is meant to be called from a test of
// the store's own package:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.Config{NewStore: newStore, Capabilities: caps})
//	}
//
// Every subtest calls cfg.NewStore for a fresh location, closes every store
// it opens, and runs under a watchdog (Config.Watchdog, two minutes by
// default). Subtests for a
// capability that is not declared are skipped, but the Capabilities subtest
// fails when the store implements an optional interface it does not
// declare, or declares one it does not implement. Run the store's tests
// with -race: the Concurrent subtest only samples races, the race detector
// finds them.
//
// The subtests, to narrow a run with -run (e.g. -run 'Conformance/TTL/'):
//
//	Capabilities
//	Basic/{Empty,GetSet,Overwrite,Miss,Delete,Len,Clear,Isolation}
//	Values/{Binary,Empty,Large,NotAliased}
//	Keys/{Odd,NonUTF8,Empty,TooLarge}
//	TTL/{Expiry,Zero,Negative,OverwriteClears,ExpiresAtPast,Reported,Aging}
//	Iterate/{Complete,Break,Mutate}
//	Close/{AfterClose,WhileBusy}
//	Context, ContextDuring, Concurrent, Random
//	Persistence/{Reopen,ReopenTTL}
//	SharedHandles/{Visibility,Concurrent}
//	Batch/{GetMany,SetMany,DeleteMany}
//	Scan
//	Conditional/{SetIfAbsent,CompareAndSwap,CompareAndDelete,TTL,Values,Counter,SharedHandles}
//	Faults/{SetKeepsOld,GetReports,GetManyReports,DeleteReports,ConcurrentSets,IterationStops,CloseAfterFault}
//	ReadOnly, Damaged/<each Damage's name>, Unopenable
func Run(t *testing.T, cfg Config) {
	t.Helper()
	if cfg.NewStore == nil {
		t.Fatal("conformance: Config.NewStore is nil")
	}
	if err := cfg.Capabilities.valid(); err != nil {
		t.Fatal(err)
	}
	if cfg.Watchdog < 0 {
		t.Fatalf("conformance: Config.Watchdog is negative (%v)", cfg.Watchdog)
	}
	watchdog := cfg.Watchdog
	if watchdog == 0 {
		watchdog = defaultWatchdog
	}
	s := &suite{cfg: cfg, caps: cfg.Capabilities.withDefaults(), watchdog: watchdog}

	t.Run("Capabilities", s.test(testCapabilities))
	t.Run("Basic", s.basic)
	t.Run("Values", s.values)
	t.Run("Keys", s.keys)
	t.Run("TTL", s.ttl)
	t.Run("Iterate", s.iterate)
	t.Run("Context", s.test(testContext))
	t.Run("ContextDuring", s.test(testCancelDuring))
	t.Run("Close", s.close)
	t.Run("Concurrent", s.test(testConcurrent))
	t.Run("Random", s.test(testRandom))
	t.Run("Persistence", s.persistence)
	t.Run("SharedHandles", s.sharedHandles)
	t.Run("Batch", s.batch)
	t.Run("Scan", s.test(testScan))
	t.Run("Conditional", s.conditional)
	t.Run("Faults", s.faults)
	t.Run("ReadOnly", s.readOnly)
	t.Run("Damaged", s.damaged)
	t.Run("Unopenable", s.test(testUnopenable))
}

// suite is one call of Run.
type suite struct {
	cfg      Config
	caps     Capabilities // with defaults filled in
	watchdog time.Duration

	newStoreMu sync.Mutex // held while cfg.NewStore runs
}

// test wraps a subtest function: it gives it a harness over a fresh
// location and a watchdog.
func (s *suite) test(fn func(*testing.T, *harness)) func(*testing.T) {
	return func(t *testing.T) {
		t.Helper()
		fn(t, s.newHarness(t))
	}
}

// parallel is test for a subtest that runs in parallel with its siblings
// that are parallel too.
func (s *suite) parallel(fn func(*testing.T, *harness)) func(*testing.T) {
	return func(t *testing.T) {
		t.Helper()
		t.Parallel()
		fn(t, s.newHarness(t))
	}
}

// harness is what one subtest works with.
type harness struct {
	t          *testing.T
	caps       Capabilities
	cfg        Config
	newStoreMu *sync.Mutex // the suite's

	// ctx is cancelled by the watchdog and when the subtest ends.
	ctx    context.Context
	cancel context.CancelFunc
	open   Opener

	timer *time.Timer
	once  sync.Once // guards t after the subtest ends

	mu     sync.Mutex
	stores []kv.Store[string, []byte]
}

func (s *suite) newHarness(t *testing.T) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), s.watchdog)
	h := &harness{t: t, caps: s.caps, cfg: s.cfg, ctx: ctx, cancel: cancel, newStoreMu: &s.newStoreMu}
	h.timer = time.AfterFunc(s.watchdog, func() {
		h.once.Do(func() {
			t.Errorf("watchdog: subtest still running after %v; cancelling its context and closing its stores", s.watchdog)
			cancel()
			go h.closeAll()
		})
	})
	// Cleanups run last in, first out: the watchdog stops last, after
	// every store is closed (each before the cleanup of the NewStore call
	// that made its location, see openWith). Registered now, it also stops
	// when NewStore skips the subtest.
	t.Cleanup(h.stopWatchdog)
	h.open = h.location()
	return h
}

func (h *harness) stopWatchdog() {
	h.timer.Stop()
	h.once.Do(func() {})
	h.cancel()
}

// location prepares a fresh location with cfg.NewStore.
func (h *harness) location() Opener {
	h.t.Helper()
	// Parallel subtests prepare their locations one at a time: NewStore
	// need not be safe for concurrent use. (Deferred: NewStore may skip
	// the subtest, which exits its goroutine.)
	open := func() Opener {
		h.newStoreMu.Lock()
		defer h.newStoreMu.Unlock()
		return h.cfg.NewStore(h.t)
	}()
	if open == nil {
		h.t.Fatal("Config.NewStore returned a nil Opener")
	}
	return open
}

// store opens a handle on the subtest's location; the harness closes it at
// the end of the subtest.
func (h *harness) store() kv.Store[string, []byte] {
	h.t.Helper()
	return h.openWith(h.open)
}

// openWith opens a handle with open and closes it when the subtest ends,
// before the location's own cleanup (registered earlier, by NewStore) runs.
// Closing twice is part of the contract, so a store the subtest closed
// itself is closed again.
func (h *harness) openWith(open Opener) kv.Store[string, []byte] {
	h.t.Helper()
	s, err := open()
	if err != nil {
		h.t.Fatalf("opening the store: %v", err)
	}
	if s == nil {
		h.t.Fatal("the Opener returned a nil store and no error")
	}
	h.mu.Lock()
	h.stores = append(h.stores, s)
	h.mu.Unlock()
	h.t.Cleanup(func() {
		if err := closePromptly(s); err != nil {
			h.t.Errorf("closing a store at the end of the subtest: %v", err)
		}
	})
	return s
}

// closeAll closes every store the harness opened, each within prompt, for
// the watchdog.
func (h *harness) closeAll() {
	h.mu.Lock()
	stores := h.stores
	h.mu.Unlock()
	for _, s := range stores {
		_ = closePromptly(s)
	}
}

// closePromptly closes s and reports an error when Close fails or takes
// longer than prompt.
func closePromptly(s kv.Store[string, []byte]) error {
	return within(prompt, "Close", s.Close)
}

// errHung is returned by within when its function did not return in time.
var errHung = errors.New("did not return")

// within runs f and returns its error, or an error wrapping errHung when f
// has not returned after d. f must not use the *testing.T: when it hangs it
// is abandoned, still running.
func within(d time.Duration, what string, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	case <-timer.C:
		return fmt.Errorf("%s %w within %v (a lock or cursor left held?)", what, errHung, d)
	}
}

// ttl is the TTL the suite's expiry tests use: long enough for a store of
// the declared resolution to keep apart from now.
func (h *harness) ttl() time.Duration { return 4 * h.caps.TTLResolution }

// sleepPastExpiry sleeps until an entry written at start with TTL ttl must
// have expired, allowing for the store's resolution.
func (h *harness) sleepPastExpiry(start time.Time, ttl time.Duration) {
	until := start.Add(ttl + 2*h.caps.TTLResolution)
	select {
	case <-time.After(time.Until(until)):
	case <-h.ctx.Done():
	}
}

// needs skips the subtest unless the store declares what it needs.
func (h *harness) needs(what string, declared bool) {
	h.t.Helper()
	if !declared {
		h.t.Skipf("Capabilities.%s is not declared", what)
	}
}
