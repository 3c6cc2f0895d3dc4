package httpcache_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores/memory"
)

// withoutConditional hides the conditional writes of the store it wraps
// (it has only the Store methods): a store lacking the capability, for
// the comparisons.
type withoutConditional struct{ kv.Store[string, []byte] }

// slowCountingOrigin answers each request after delay with header and a body
// naming the origin request it answers.
func slowCountingOrigin(t testing.TB, delay time.Duration, header http.Header) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		time.Sleep(delay)
		for k, v := range header {
			w.Header()[k] = v
		}
		fmt.Fprintf(w, "answer %d", i)
	}))
	t.Cleanup(origin.Close)
	return origin, &n
}

// leased returns a Transport over the byte store s, taking its leases in
// s too (when given); store errors go to errs.
func leased(t *testing.T, s kv.Store[string, []byte], lease bool, errs *errorList, opts ...httpcache.Option) *httpcache.Transport {
	if lease {
		opts = append(opts, httpcache.WithLeases(s, 2*time.Second))
	}
	tr := httpcache.NewFromStores(s, nil, append(opts, httpcache.WithErrorHook(errs.add))...)
	t.Cleanup(func() { tr.Close() })
	return tr
}

// errorList collects reported errors.
type errorList struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorList) add(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *errorList) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// burstEach sends n identical GETs of url through each transport at once,
// and returns the bodies, per transport.
func burstEach(t *testing.T, trs []*httpcache.Transport, n int, url string) [][]string {
	out := make([][]string, len(trs))
	var wg sync.WaitGroup
	for i, tr := range trs {
		wg.Go(func() { out[i], _ = burst(t, tr, n, url, nil) })
	}
	wg.Wait()
	return out
}

// TestLeasesSpareTheOrigin: two Transports over one store (as two
// processes would be), 20 identical concurrent misses each, reach a slow
// origin once with leases, and every request gets the one answer; without
// them (or over a store without conditional writes) each Transport
// fetches. Fails on code without leases.
func TestLeasesSpareTheOrigin(t *testing.T) {
	for _, c := range []struct {
		name  string
		store func() kv.Store[string, []byte]
		lease bool
		want  int64 // origin requests; 0: more than one
	}{
		{"leases", func() kv.Store[string, []byte] { return memory.New[string, []byte]() }, true, 1},
		{"no leases", func() kv.Store[string, []byte] { return memory.New[string, []byte]() }, false, 0},
		{"no conditional writes", func() kv.Store[string, []byte] { return withoutConditional{memory.New[string, []byte]()} }, true, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			origin, n := slowCountingOrigin(t, 300*time.Millisecond, http.Header{"Cache-Control": {"max-age=60"}})
			s := c.store()
			var errs errorList
			trs := []*httpcache.Transport{leased(t, s, c.lease, &errs), leased(t, s, c.lease, &errs)}
			bodies := burstEach(t, trs, 20, origin.URL+"/a")
			got := n.Load()
			t.Logf("%s: %d origin requests", c.name, got)
			switch {
			case c.want > 0 && got != c.want:
				t.Fatalf("origin reached %d times, want %d", got, c.want)
			case c.want == 0 && got < 2:
				t.Fatalf("origin reached %d times without leases: the comparison proves nothing", got)
			}
			if c.want == 1 {
				for i, bs := range bodies {
					for _, b := range bs {
						if b != "answer 1" {
							t.Fatalf("transport %d got %q, want the one answer", i, b)
						}
					}
				}
			}
			wantErrs := 0
			if c.name == "no conditional writes" {
				wantErrs = len(trs) // each New reports it once
			}
			reported := errs.all()
			for _, err := range reported {
				if !errors.Is(err, kv.ErrUnsupported) {
					t.Errorf("store error: %v", err)
				}
			}
			if len(reported) != wantErrs {
				t.Errorf("%d errors reported (%v), want %d kv.ErrUnsupported", len(reported), reported, wantErrs)
			}
		})
	}
}

// TestLeasesUncacheable: an answer that is not stored is never served to
// another Transport: the one waiting for it fetches its own, at once
// when it finds the pass value (well before the lease TTL).
func TestLeasesUncacheable(t *testing.T) {
	const delay = 300 * time.Millisecond
	origin, n := slowCountingOrigin(t, delay, http.Header{"Cache-Control": {"no-store"}})
	s := memory.New[string, []byte]()
	var errs errorList
	trs := []*httpcache.Transport{leased(t, s, true, &errs), leased(t, s, true, &errs)}
	start := time.Now()
	bodies := burstEach(t, trs, 10, origin.URL+"/u")
	took := time.Since(start)
	if got := n.Load(); got != 2 {
		t.Fatalf("origin reached %d times, want 2 (one per Transport)", got)
	}
	if bodies[0][0] == bodies[1][0] {
		t.Fatalf("both Transports served %q: an unstored answer crossed over", bodies[0][0])
	}
	for i, bs := range bodies {
		for _, b := range bs {
			if b != bs[0] {
				t.Fatalf("transport %d: bodies %q and %q (in-process sharing broken)", i, b, bs[0])
			}
		}
	}
	if took > 2*time.Second {
		t.Fatalf("took %v: the waiting Transport waited out the lease TTL", took)
	}
	// The pass value makes the next miss of the other Transport go to the
	// origin without waiting.
	if _, d := burst(t, trs[1], 1, origin.URL+"/u", nil); d > delay+250*time.Millisecond {
		t.Errorf("a miss after an unstored answer took %v", d)
	}
	if e := errs.all(); len(e) > 0 {
		t.Errorf("store errors: %v", e)
	}
}

// TestLeaseExpires: a Transport whose lease holder hangs waits the lease
// TTL at most, then fetches itself: never hangs.
func TestLeaseExpires(t *testing.T) {
	release := make(chan struct{})
	var n atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-release // the first fetch hangs
		}
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprint(w, "late")
	}))
	defer origin.Close()
	defer close(release)
	s := memory.New[string, []byte]()
	const ttl = 400 * time.Millisecond
	a := httpcache.NewFromStores(s, nil, httpcache.WithLeases(s, ttl))
	b := httpcache.NewFromStores(s, nil, httpcache.WithLeases(s, ttl))
	defer a.Close()
	defer b.Close()
	go func() {
		req, _ := http.NewRequest(http.MethodGet, origin.URL+"/h", nil)
		if resp, err := a.RoundTrip(req); err == nil {
			resp.Body.Close()
		}
	}()
	for n.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	bodies, _ := burst(t, b, 5, origin.URL+"/h", nil)
	took := time.Since(start)
	if took < ttl/2 || took > ttl+time.Second {
		t.Fatalf("the waiting Transport answered after %v, want about the lease TTL %v", took, ttl)
	}
	for _, body := range bodies {
		if body != "late" {
			t.Fatalf("body %q", body)
		}
	}
}

// TestLeasesNotEntries: a lease kept in the responses store is neither
// listed by Entries nor taken for a corrupt entry by DeleteExpired.
func TestLeasesNotEntries(t *testing.T) {
	release := make(chan struct{})
	fetching := make(chan struct{})
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(fetching)
		<-release
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprint(w, "x")
	}))
	defer origin.Close()
	s := memory.New[string, []byte]()
	var errs errorList
	tr := leased(t, s, true, &errs)
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest(http.MethodGet, origin.URL+"/e", nil)
		if resp, err := tr.RoundTrip(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-fetching
	ctx := context.Background()
	keys, err := kv.Collect(s.Keys(ctx))
	if err != nil || len(keys) != 1 || !strings.HasPrefix(keys[0], "httpcache-lease:") {
		t.Fatalf("store keys while fetching: %q, %v; want the lease alone", keys, err)
	}
	for e, err := range tr.Entries(ctx) {
		t.Errorf("Entries yielded %+v, %v while only a lease is stored", e, err)
	}
	if d, err := tr.DeleteExpired(ctx); d != 0 || err != nil {
		t.Errorf("DeleteExpired = %d, %v", d, err)
	}
	if _, err := s.Get(ctx, keys[0]); err != nil {
		t.Errorf("the lease is gone after DeleteExpired: %v", err)
	}
	close(release)
	<-done
	var listed int
	for _, err := range tr.Entries(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		listed++
	}
	if listed != 1 {
		t.Errorf("Entries listed %d after the fetch, want 1", listed)
	}
	if keys, _ := kv.Collect(s.Keys(ctx)); len(keys) != 1 || strings.HasPrefix(keys[0], "httpcache-lease:") {
		t.Errorf("store keys after the fetch: %q, want the response alone (lease released)", keys)
	}
}

// hangingLeases is a byte store whose conditional writes hang, ignoring
// their context, until release is closed.
type hangingLeases struct {
	*memory.Store[string, []byte]
	release chan struct{}
}

func (h hangingLeases) SetIfAbsent(ctx context.Context, key string, value []byte, opts ...kv.SetOption) (bool, error) {
	<-h.release
	return false, errors.New("hung")
}

func (h hangingLeases) CompareAndSwap(ctx context.Context, key string, old, new []byte, opts ...kv.SetOption) (bool, error) {
	<-h.release
	return false, errors.New("hung")
}

func (h hangingLeases) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	<-h.release
	return false, errors.New("hung")
}

// TestLeaseStoreHangs: a lease store that hangs costs a miss one store
// timeout, and is reported; then its breaker skips it and misses go to the
// origin without waiting on it.
func TestLeaseStoreHangs(t *testing.T) {
	origin, n := slowCountingOrigin(t, 0, http.Header{"Cache-Control": {"max-age=60"}})
	leasesStore := hangingLeases{memory.New[string, []byte](), make(chan struct{})}
	defer close(leasesStore.release)
	var errs errorList
	const timeout = 150 * time.Millisecond
	tr := httpcache.NewFromStores(memory.New[string, []byte](), nil,
		httpcache.WithLeases(leasesStore, time.Minute), httpcache.WithStoreTimeout(timeout), httpcache.WithErrorHook(errs.add))
	defer tr.Close()
	for i, bound := range []time.Duration{timeout + time.Second, 100 * time.Millisecond} {
		start := time.Now()
		bodies, _ := burst(t, tr, 1, fmt.Sprintf("%s/hang%d", origin.URL, i), nil)
		if took := time.Since(start); took > bound {
			t.Errorf("miss %d took %v, want at most %v", i, took, bound)
		}
		if bodies[0] == "" {
			t.Errorf("miss %d: no body", i)
		}
	}
	if got := n.Load(); got != 2 {
		t.Errorf("origin reached %d times, want 2", got)
	}
	reported := errs.all()
	if len(reported) != 1 || !strings.Contains(reported[0].Error(), "lease") || !errors.Is(reported[0], context.DeadlineExceeded) {
		t.Errorf("reported %v, want one lease timeout", reported)
	}
}
