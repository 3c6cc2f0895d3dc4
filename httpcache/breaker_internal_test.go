package httpcache

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// expire ends b's backoff period now.
func (b *breaker) expire() {
	b.mu.Lock()
	b.until = time.Now().Add(-time.Nanosecond)
	b.mu.Unlock()
}

// TestBreakerStates walks a breaker through its states: a failure opens
// it, failures of calls let through before do not report again, one probe
// at a time after the period, failed probes double the period up to the
// maximum, a probe answered closes it, and a call that was let through
// before it closed cannot open it again.
func TestBreakerStates(t *testing.T) {
	const lo, hi = time.Second, 5 * time.Second
	b := newBreaker("responses", lo, hi)
	within := func(period, d time.Duration) {
		t.Helper()
		if period <= d*4/5 || period > d {
			t.Fatalf("period %v, want in (%v, %v]", period, d*4/5, d)
		}
	}

	tk1, ok1 := b.allow()
	tk2, ok2 := b.allow()
	if !ok1 || !ok2 || tk1.probe {
		t.Fatal("a closed breaker refused a call, or made it a probe")
	}
	period, report := b.failed(tk1)
	if !report {
		t.Fatal("the failure that opens the breaker is not to be reported")
	}
	within(period, lo)
	if _, report := b.failed(tk2); report {
		t.Fatal("a second failure of the same trip is to be reported")
	}
	if _, ok := b.allow(); ok {
		t.Fatal("an open breaker let a call through before its period ended")
	}

	for _, want := range []time.Duration{2 * lo, 4 * lo, hi, hi} {
		b.expire()
		probe, ok := b.allow()
		if !ok || !probe.probe {
			t.Fatal("no probe after the period")
		}
		if _, ok := b.allow(); ok {
			t.Fatal("a second call let through while a probe runs")
		}
		period, report := b.failed(probe)
		if !report {
			t.Fatal("a failed probe is not to be reported")
		}
		within(period, want)
	}

	b.expire()
	probe, _ := b.allow()
	b.abandoned(probe) // the caller gave up: the next call probes
	probe, ok := b.allow()
	if !ok || !probe.probe {
		t.Fatal("no probe after an abandoned one")
	}
	if down := b.answered(probe); down <= 0 {
		t.Fatalf("answered probe: down %v, want > 0", down)
	}
	if tk, ok := b.allow(); !ok || tk.probe {
		t.Fatal("the breaker is not closed after a probe was answered")
	}
	if _, report := b.failed(tk2); report {
		t.Fatal("a call let through before the trip reopened the breaker")
	}
	if _, ok := b.allow(); !ok {
		t.Fatal("a call let through before the trip reopened the breaker")
	}
	tk, _ := b.allow()
	if _, report := b.failed(tk); !report {
		t.Fatal("a new failure after closing does not open the breaker")
	}
	if d := time.Until(b.until); d <= lo*4/5-100*time.Millisecond || d > lo {
		t.Fatalf("period %v after a new trip, want the first one (%v less up to a fifth)", d, lo)
	}
}

// TestBreakerOff: a nil breaker (WithStoreBreaker(0, 0)) lets every call
// through and reports every failure.
func TestBreakerOff(t *testing.T) {
	b := newBreaker("responses", 0, time.Second)
	if b != nil {
		t.Fatal("min 0 made a breaker")
	}
	for range 3 {
		tk, ok := b.allow()
		if !ok {
			t.Fatal("a nil breaker refused a call")
		}
		if _, report := b.failed(tk); !report {
			t.Fatal("a nil breaker does not report a failure")
		}
		b.abandoned(tk)
	}
}

// TestBreakerConcurrent: under many goroutines, never more than one probe
// at a time, and each trip and failed probe reported once.
func TestBreakerConcurrent(t *testing.T) {
	b := newBreaker("responses", time.Millisecond, 4*time.Millisecond)
	var (
		probes, maxProbes, reports, trips atomic.Int64
		storeUp                           atomic.Bool
		wg                                sync.WaitGroup
	)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 3000 {
				if g == 0 && i%500 == 0 {
					storeUp.Store(!storeUp.Load())
				}
				tk, ok := b.allow()
				if !ok {
					continue
				}
				if tk.probe {
					n := probes.Add(1)
					for m := maxProbes.Load(); n > m && !maxProbes.CompareAndSwap(m, n); m = maxProbes.Load() {
					}
				}
				if storeUp.Load() {
					if tk.probe {
						probes.Add(-1)
					}
					b.answered(tk)
					continue
				}
				if tk.probe {
					probes.Add(-1)
				}
				if _, report := b.failed(tk); report {
					reports.Add(1)
					if !tk.probe {
						trips.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	if m := maxProbes.Load(); m > 1 {
		t.Fatalf("%d probes at once", m)
	}
	if trips.Load() == 0 {
		t.Fatal("the breaker never opened")
	}
	t.Logf("%d trips, %d reports", trips.Load(), reports.Load())
}
